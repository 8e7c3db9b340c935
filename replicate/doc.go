// Package replicate ships a location's books to the chain's central
// PostgreSQL and reads the chain's reports back from it.
//
// Each location keeps its own bbolt file and works with no network; a
// Replicator (run by `paydesk serve`) reads what was written after its cursor
// in short read transactions and writes it in batches, each batch and the
// cursor in one PostgreSQL transaction, so a crash, kill or lost connection
// resumes exactly where the last commit left off. Rows are keyed by
// (location, the location's id), so nothing can arrive twice.
//
// The central schema is in migrations/, embedded and applied with goose.
// This package reads the local books only through finance.Store and
// finance.ChangeLog; it never imports store.
package replicate
