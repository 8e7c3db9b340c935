package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/paydesk/paydesk/config"
	"github.com/paydesk/paydesk/finance"
	"github.com/paydesk/paydesk/internal/receipt"
)

// receiptCommands are the rows cli_receipt.go adds to the command table.
func receiptCommands() []command {
	return []command{
		{"receipt", "OPID [--pdf FILE] [--text FILE] [--save] [--print] [--width N]",
			"an operation's receipt: shown as text, written as PDF or text, saved to the receipts folder, printed", cmdReceipt},
	}
}

// receiptConfig is [receipt] with its defaults filled: the folder beside
// the database when none is set.
func receiptConfig(c *config.Config) receipt.Config {
	r := c.Receipt
	dir := r.Dir
	if dir == "" {
		dir = filepath.Join(filepath.Dir(c.DB), "receipts")
	}
	return receipt.Config{Width: r.Width, Device: r.Device, Queue: r.Queue, Dir: dir, Header: r.Header, Footer: r.Footer}
}

func cmdReceipt(ctx context.Context, a *app, args []string) error {
	fs := newFlags("receipt")
	pdfOut := fs.String("pdf", "", "write the receipt as a PDF to FILE")
	textOut := fs.String("text", "", "write the receipt as text to FILE")
	save := fs.Bool("save", false, "save it as text and PDF in the receipts folder ([receipt] dir)")
	print := fs.Bool("print", false, "print it on the receipt printer ([receipt] device or queue)")
	width := fs.Int("width", 0, "columns: 32, 42 or 48 (default [receipt] width, else 42)")
	pos, err := parse(fs, args, 1, 1)
	if err != nil {
		return err
	}
	id, err := parseOpID(pos[0])
	if err != nil {
		return err
	}
	rc := receiptConfig(a.cfg)
	if *width != 0 {
		if *width != 32 && *width != 42 && *width != 48 {
			return usagef(fs, "--width must be 32, 42 or 48")
		}
		rc.Width = *width
	}
	if *print && !rc.CanPrint() {
		return fmt.Errorf("%w: %w", finance.ErrInvalid, receipt.ErrNoPrinter)
	}
	svc, _, err := a.reportBooks(ctx)
	if err != nil {
		return err
	}
	r, err := receipt.Build(ctx, svc, id, rc.Options())
	if err != nil {
		return err
	}
	text, err := receipt.Text(r, rc.Columns())
	if err != nil {
		return err
	}
	quiet := false
	if *pdfOut != "" {
		var b bytes.Buffer
		if err := receipt.PDF(&b, r, rc.Columns(), receipt.PDFOptions{}); err != nil {
			return err
		}
		if err := writeReceiptFile(*pdfOut, b.Bytes()); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "receipt #%d as PDF: %s\n", id, *pdfOut)
		quiet = true
	}
	if *textOut != "" {
		if err := writeReceiptFile(*textOut, []byte(text)); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "receipt #%d as text: %s\n", id, *textOut)
		quiet = true
	}
	if *save {
		s, err := receipt.Save(rc.Dir, r, rc.Columns())
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "receipt #%d saved: %s, %s\n", id, s.Text, s.PDF)
		quiet = true
	}
	if *print {
		if err := receipt.Print(ctx, rc, r); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "receipt #%d printed\n", id)
		quiet = true
	}
	if !quiet {
		_, err = fmt.Fprint(a.stdout, text)
	}
	return err
}

// writeReceiptFile writes a file the person named, all or nothing. A file
// already there is left alone unless it holds the same receipt.
func writeReceiptFile(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil {
		if bytes.Equal(old, data) {
			return nil
		}
		return fmt.Errorf("%w: %s exists already and holds something else; name another file", finance.ErrConflict, path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: %w", finance.ErrInvalid, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".receipt-*")
	if err != nil {
		return fmt.Errorf("%w: %w", finance.ErrInvalid, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return fmt.Errorf("%w: %w", finance.ErrConflict, err)
	}
	return nil
}
