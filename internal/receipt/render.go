package receipt

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"strings"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/text/encoding/charmap"
)

// cp1252 is s in Windows-1252, the code page of both PDF core fonts and the
// printer's WPC1252 table, where € is 0x80. A character it lacks becomes
// "?": a receipt prints whole rather than not at all. Control characters
// become "?" too, so no text can send the printer a command.
func cp1252(s string) []byte {
	enc := charmap.Windows1252
	out := make([]byte, 0, len(s))
	for _, r := range s {
		b, ok := enc.EncodeRune(r)
		if !ok || r < 0x20 || r == 0x7f {
			b = '?'
		}
		out = append(out, b)
	}
	return out
}

// dejaVuMono is DejaVu Sans Mono (Bitstream Vera licence, fonts/LICENSE-
// DejaVu.txt): the PDF's font when a receipt has letters Windows-1252 lacks
// (Cyrillic names, ₴, ₽), embedded as the subset used.
//
//go:embed fonts/DejaVuSansMono.ttf
var dejaVuMono []byte

// fitsCP1252 says whether every row can be set in a core font.
func fitsCP1252(rows []Row) bool {
	for _, row := range rows {
		for _, r := range row.Text {
			if _, ok := charmap.Windows1252.EncodeRune(r); !ok {
				return false
			}
		}
	}
	return true
}

// PDFOptions tune the PDF. Uncompressed is for tests that read its text.
type PDFOptions struct {
	Uncompressed bool
}

// PDF writes the receipt as a one-page PDF the size of a till roll (80 mm
// wide, 58 mm for 32 columns), in a monospaced font so it lines up as
// printed: Courier, or the embedded DejaVu Sans Mono for letters beyond
// Windows-1252. The
// document's dates are the operation's time, so the same receipt is the
// same file, byte for byte.
func PDF(w io.Writer, r Receipt, width int, o PDFOptions) error {
	rows, err := Layout(r, width)
	if err != nil {
		return err
	}
	width = max(width, 24)
	paper := 80.0
	if width <= 32 {
		paper = 58.0
	}
	const margin = 4.0
	// Courier is 0.6 em wide: the font size that fits width columns.
	sizeMM := (paper - 2*margin) / (float64(width) * 0.6)
	sizePt := sizeMM * 72 / 25.4
	lineH := sizeMM * 1.25
	height := 2*margin + float64(len(rows))*lineH + 2

	pdf := fpdf.NewCustom(&fpdf.InitType{UnitStr: "mm", Size: fpdf.SizeType{Wd: paper, Ht: height}})
	pdf.SetCompression(!o.Uncompressed)
	pdf.SetCreationDate(r.Time)
	pdf.SetModificationDate(r.Time)
	pdf.SetCatalogSort(true)
	pdf.SetProducer("paydesk", false)
	pdf.SetTitle(fmt.Sprintf("%s receipt #%d", r.Location, r.Op), true)
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(false, 0)
	pdf.AddPage()
	core := fitsCP1252(rows)
	if !core {
		pdf.AddUTF8FontFromBytes("DejaVuSansMono", "", dejaVuMono)
	}
	for _, row := range rows {
		text := strings.TrimRight(row.Text, " ")
		if core {
			style := ""
			if row.Bold {
				style = "B"
			}
			pdf.SetFont("Courier", style, sizePt)
			text = string(cp1252(text))
		} else {
			// One weight only: a second TTF would double what is embedded.
			pdf.SetFont("DejaVuSansMono", "", sizePt)
		}
		pdf.SetX(margin)
		pdf.CellFormat(paper-2*margin, lineH, text, "", 1, "L", false, 0, "")
	}
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("make the PDF: %w", err)
	}
	return pdf.Output(w)
}

// ESC/POS commands used (Epson's set, which most receipt printers follow).
var (
	escInit      = []byte{0x1b, '@'}        // ESC @: reset
	escCodePage  = []byte{0x1b, 't', 16}    // ESC t 16: WPC1252, € at 0x80
	escAlignLeft = []byte{0x1b, 'a', 0}     // ESC a 0
	escAlignMid  = []byte{0x1b, 'a', 1}     // ESC a 1
	escBoldOn    = []byte{0x1b, 'E', 1}     // ESC E 1
	escBoldOff   = []byte{0x1b, 'E', 0}     // ESC E 0
	escFeed      = []byte{0x1b, 'd', 4}     // ESC d 4: feed 4 lines past the cutter
	escCut       = []byte{0x1d, 'V', 66, 0} // GS V 66 0: feed and partial cut
)

// ESCPOS is the receipt as bytes for an ESC/POS receipt printer whose
// line holds width characters: reset, the WPC1252 code page, centred and
// bold rows as the layout says, then a cut.
func ESCPOS(r Receipt, width int) ([]byte, error) {
	rows, err := Layout(r, width)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Write(escInit)
	b.Write(escCodePage)
	bold, mid := false, false
	for _, row := range rows {
		if row.Center != mid {
			mid = row.Center
			if mid {
				b.Write(escAlignMid)
			} else {
				b.Write(escAlignLeft)
			}
		}
		if row.Bold != bold {
			bold = row.Bold
			if bold {
				b.Write(escBoldOn)
			} else {
				b.Write(escBoldOff)
			}
		}
		text := strings.TrimRight(row.Text, " ")
		if row.Center {
			text = row.Trimmed()
		}
		b.Write(cp1252(text))
		b.WriteByte('\n')
	}
	if bold {
		b.Write(escBoldOff)
	}
	if mid {
		b.Write(escAlignLeft)
	}
	b.Write(escFeed)
	b.Write(escCut)
	return b.Bytes(), nil
}
