package deskserver

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The socket protocol is a sequence of frames: one type byte, a big-endian
// uint32 payload length, the payload.
//
// The client opens with frameCommand. The server then streams stdout and
// stderr and ends with frameExit. Input is pulled, never pushed: the server
// asks for stdin (frameReadStdin) or a secret (framePrompt) only when the
// command reads one, and the client answers each request with exactly one
// reply. So a command that reads nothing never blocks on a stdin that never
// closes (cron, CI), and a PIN prompt can be answered on the client's own
// terminal without echo.
const (
	// client -> server
	frameCommand  byte = 'C' // JSON commandRequest
	frameStdin    byte = 'I' // stdin bytes (reply to frameReadStdin)
	frameStdinEOF byte = 'Z' // stdin is at its end
	frameSecret   byte = 'S' // a secret typed without echo (reply to framePrompt)
	frameFail     byte = 'F' // the request could not be served; payload is the reason

	// server -> client
	frameStdout    byte = 'O'
	frameStderr    byte = 'E'
	frameReadStdin byte = 'R' // payload: uint32 max bytes wanted
	framePrompt    byte = 'P' // payload: prompt text
	frameExit      byte = 'X' // payload: int32 exit code; the last frame
)

// maxFrame bounds one frame so a confused peer cannot make us allocate
// gigabytes.
const maxFrame = 1 << 20

// chunkSize is how much stdin or output one frame carries at most.
const chunkSize = 32 << 10

type commandRequest struct {
	Args []string `json:"args"`
	// StdinTerminal says a person is at the client's keyboard: secrets are
	// then asked for with framePrompt, never read from the stdin stream.
	StdinTerminal bool `json:"stdin_terminal"`
}

func writeFrame(w io.Writer, typ byte, payload []byte) error {
	if len(payload) > maxFrame {
		return fmt.Errorf("frame of %d bytes is too large", len(payload))
	}
	buf := make([]byte, 5+len(payload))
	buf[0] = typ
	binary.BigEndian.PutUint32(buf[1:5], uint32(len(payload)))
	copy(buf[5:], payload)
	_, err := w.Write(buf)
	return err
}

func readFrame(r io.Reader) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[1:5])
	if n > maxFrame {
		return 0, nil, fmt.Errorf("frame of %d bytes is too large", n)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	return hdr[0], payload, nil
}

func uint32Payload(v uint32) []byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return b[:]
}
