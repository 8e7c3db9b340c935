// Package finance is paydesk's domain: money, clients, cash registers, bookings,
// staff and their rights, and the append-only double-entry ledger that every
// money movement posts to. It performs no I/O of its own: persistence is the
// Store interface (implemented by package store on bbolt), and every rule runs
// inside one Store transaction so an operation is written whole or not at all.
package finance
