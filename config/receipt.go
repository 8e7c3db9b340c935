package config

import (
	"fmt"
	"strings"
)

// Receipt is the [receipt] section: how receipts are laid out, where they
// are saved and which printer takes them.
type Receipt struct {
	Width  int      // columns of the paper: 32 (58 mm), 42 or 48 (80 mm); 0 = 42
	Device string   // an ESC/POS printer's device file, e.g. /dev/usb/lp0
	Queue  string   // or a CUPS queue, sent raw (`lp -d QUEUE -o raw`)
	Dir    string   // where each receipt is saved as text and PDF ("" = "receipts" beside the database)
	Header []string // lines under the location's name (address, tax number)
	Footer []string // lines at the foot ("Thank you!")
}

// fileReceipt is [receipt] as the file spells it.
type fileReceipt struct {
	Width  *int     `toml:"width"`
	Device *string  `toml:"device"`
	Queue  *string  `toml:"queue"`
	Dir    *string  `toml:"dir"`
	Header []string `toml:"header"`
	Footer []string `toml:"footer"`
}

// maxReceiptLines bounds header and footer: a receipt is not a letter.
const maxReceiptLines = 10

func (c *Config) readReceipt(f fileReceipt, path, home string) error {
	r := &c.Receipt
	if v := f.Width; v != nil {
		if *v != 32 && *v != 42 && *v != 48 {
			return fmt.Errorf("%w: %s: [receipt] width must be 32, 42 or 48 (the paper's columns)", ErrInvalid, path)
		}
		r.Width = *v
	}
	setString(&r.Device, f.Device)
	setString(&r.Queue, f.Queue)
	r.Device, r.Queue = strings.TrimSpace(r.Device), strings.TrimSpace(r.Queue)
	if r.Device != "" && r.Queue != "" {
		return fmt.Errorf("%w: %s: [receipt] names both a device and a queue; keep the one the printer is on", ErrInvalid, path)
	}
	if strings.HasPrefix(r.Queue, "-") {
		return fmt.Errorf("%w: %s: [receipt] queue %q is not a CUPS queue name", ErrInvalid, path, r.Queue)
	}
	if f.Dir != nil {
		r.Dir = expandHome(*f.Dir, home)
	}
	for _, l := range [][]string{f.Header, f.Footer} {
		if len(l) > maxReceiptLines {
			return fmt.Errorf("%w: %s: [receipt] header and footer take at most %d lines each", ErrInvalid, path, maxReceiptLines)
		}
	}
	if f.Header != nil {
		r.Header = f.Header
	}
	if f.Footer != nil {
		r.Footer = f.Footer
	}
	return nil
}
