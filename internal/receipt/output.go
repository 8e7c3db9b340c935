package receipt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Config is the [receipt] section of the config file.
type Config struct {
	Width  int      // columns: 32, 42 (default) or 48
	Device string   // a receipt printer's device file, e.g. /dev/usb/lp0
	Queue  string   // or a CUPS queue, printed raw with `lp -d QUEUE -o raw`
	Dir    string   // where receipts are saved (default: "receipts" beside the database)
	Header []string // lines under the location's name
	Footer []string // lines at the foot
	// LP is the lp command (default "lp" on PATH); tests put a fake there.
	LP string
}

// Options are the config's words for Build.
func (c Config) Options() Options { return Options{Header: c.Header, Footer: c.Footer} }

// Columns is the configured width, or the default.
func (c Config) Columns() int {
	if c.Width == 0 {
		return DefaultWidth
	}
	return c.Width
}

// CanPrint says whether a printer is configured.
func (c Config) CanPrint() bool { return c.Device != "" || c.Queue != "" }

// Saved is where a receipt's two files went.
type Saved struct {
	Text, PDF string
}

// Save writes the receipt's text and PDF into dir, as op-<id>.txt and
// op-<id>.pdf. Files there of the same receipt (the same text) are left as
// they are (saving twice is one receipt); another receipt's (another
// database's operation of that number, or a receipt since reversed) are
// never overwritten: the new one gets the next free op-<id>-<n> name.
func Save(dir string, r Receipt, width int) (Saved, error) {
	text, err := Text(r, width)
	if err != nil {
		return Saved{}, err
	}
	var pdf bytes.Buffer
	if err := PDF(&pdf, r, width, PDFOptions{}); err != nil {
		return Saved{}, err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return Saved{}, fmt.Errorf("the receipts folder: %w", err)
	}
	base := fmt.Sprintf("op-%d", r.Op)
	for n := 1; n < 1000; n++ {
		name := base
		if n > 1 {
			name = fmt.Sprintf("%s-%d", base, n)
		}
		s := Saved{Text: filepath.Join(dir, name+".txt"), PDF: filepath.Join(dir, name+".pdf")}
		// The text says which receipt a name holds: the PDF of the same
		// text is the same receipt, even where its bytes differ (an
		// embedded font's subset is not laid out the same every time).
		same, err := placeable(s.Text, []byte(text))
		if err != nil {
			return Saved{}, err
		}
		_, errPDF := os.Stat(s.PDF)
		_, errText := os.Stat(s.Text)
		switch {
		case !same:
			continue
		case errors.Is(errText, os.ErrNotExist) && !errors.Is(errPDF, os.ErrNotExist):
			continue // a PDF without its text: not ours to judge
		}
		if err := writeNew(s.Text, []byte(text)); err != nil {
			return Saved{}, err
		}
		if errors.Is(errPDF, os.ErrNotExist) {
			if err := writeNew(s.PDF, pdf.Bytes()); err != nil {
				return Saved{}, err
			}
		}
		return s, nil
	}
	return Saved{}, fmt.Errorf("receipt #%d: %s holds too many different copies already", r.Op, dir)
}

// placeable says whether data may go to path: nothing is there, or the
// same bytes are.
func placeable(path string, data []byte) (bool, error) {
	old, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", path, err)
	}
	return bytes.Equal(old, data), nil
}

// writeNew writes data to path through a temporary file and a link, so a
// receipt is never half written and never replaces another's file.
func writeNew(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".receipt-*")
	if err != nil {
		return fmt.Errorf("save the receipt: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("save the receipt: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save the receipt: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save the receipt: %w", err)
	}
	// Link, unlike rename, fails where a file appeared meanwhile.
	if err := os.Link(tmp.Name(), path); err != nil {
		return fmt.Errorf("save the receipt: %w", err)
	}
	return nil
}

// ErrNoPrinter is printing with neither a device nor a queue configured.
var ErrNoPrinter = errors.New("no receipt printer is configured: set [receipt] device or queue in the config file")

// Print sends the receipt's ESC/POS bytes to the configured printer: its
// device file, or the CUPS queue through `lp -o raw`.
func Print(ctx context.Context, c Config, r Receipt) error {
	data, err := ESCPOS(r, c.Columns())
	if err != nil {
		return err
	}
	return Send(ctx, c, data)
}

// Send writes bytes already made to the configured printer.
func Send(ctx context.Context, c Config, data []byte) error {
	switch {
	case c.Device != "":
		// No O_CREATE: a mistyped device must fail, not become a file.
		f, err := os.OpenFile(c.Device, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return fmt.Errorf("the receipt printer %s: %w", c.Device, err)
		}
		if _, err := f.Write(data); err != nil {
			f.Close()
			return fmt.Errorf("the receipt printer %s: %w", c.Device, err)
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("the receipt printer %s: %w", c.Device, err)
		}
		return nil
	case c.Queue != "":
		lp := c.LP
		if lp == "" {
			lp = "lp"
		}
		cmd := exec.CommandContext(ctx, lp, "-d", c.Queue, "-o", "raw")
		cmd.Stdin = bytes.NewReader(data)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			msg := strings.TrimSpace(out.String())
			if errors.Is(err, exec.ErrNotFound) {
				return fmt.Errorf("printing to the CUPS queue %s needs the lp command (CUPS): %w", c.Queue, err)
			}
			if msg != "" {
				return fmt.Errorf("the CUPS queue %s: %s: %w", c.Queue, msg, err)
			}
			return fmt.Errorf("the CUPS queue %s: %w", c.Queue, err)
		}
		return nil
	}
	return ErrNoPrinter
}
