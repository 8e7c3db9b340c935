//go:build !linux

package main

import "time"

// threadCPU is not measured off Linux.
func threadCPU() time.Duration { return -1 }

// processCPU is not measured off Linux.
func processCPU() time.Duration { return -1 }
