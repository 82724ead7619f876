package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/relinksim/relinksim/ckpt"
)

// The checkpoint image commands: decode shows an image as JSON, encode
// turns that JSON back into the image.

var decodeCommand = &command{
	name:     "decode",
	synopsis: "IMG|-",
	summary:  "print a checkpoint image as JSON",
	help: func() string {
		return `Decode reads the checkpoint image IMG (standard input for -), as package
ckpt writes it (ckpt.Encode; the layout is documented in ckpt/codec.go),
and prints it as indented JSON: the header (version, era, strategy, crid),
then the credentials, fs_structs, files, descriptor tables and tasks, the
objrefs between them 1-based indices into those lists (0: none). A name or
a fifo's data that is not valid UTF-8 is printed as {"base64": "..."}.
'relinksim encode' turns the JSON back into the same image, byte for byte.

The decoder is strict: it accepts exactly what the encoder writes.

Exit status: 0 when the image decodes; 2 on a usage error, an unreadable
file, or an image that does not decode, with the decoder's message, which
names the byte offset and the record it was reading:
  relinksim decode: IMG: image: byte 124 (file record): credref: objref 7 points at no credential (2 before it)`
	},
	flags: func() (*flag.FlagSet, any) { return flag.NewFlagSet("decode", flag.ContinueOnError), nil },
	run:   cmdDecode,
}

// encodeFlags are encode's flags.
type encodeFlags struct{ out string }

var encodeCommand = &command{
	name:     "encode",
	synopsis: "[-o FILE] [JSON|-]",
	summary:  "turn an image's JSON (as decode prints it) back into the image",
	help: func() string {
		return `Encode reads a checkpoint image as JSON, in the form 'relinksim decode'
prints, from the file JSON or standard input (when JSON is - or absent),
and writes the image's bytes to standard output, or to FILE with -o. The
JSON is read strictly: an unknown field, anything after the image, or an
image the encoder cannot write (an objref to nothing, a name with a NUL, a
relinked name without the unlink flag, ...) is an error, and nothing is
written.

Exit status: 0 when the image is written; 2 on a usage error, an
unreadable file or bad JSON, with the message.`
	},
	flags: func() (*flag.FlagSet, any) {
		fs := flag.NewFlagSet("encode", flag.ContinueOnError)
		o := &encodeFlags{}
		fs.StringVar(&o.out, "o", "", "write the image to `FILE` instead of standard output")
		return fs, o
	},
	run: cmdEncode,
}

// readInput reads the file name, or stdin for "-"; it returns the name
// errors should use.
func readInput(name string, stdin io.Reader) (string, []byte, error) {
	if name == "-" {
		b, err := io.ReadAll(stdin)
		return "<stdin>", b, err
	}
	b, err := os.ReadFile(name)
	return name, b, err
}

func cmdDecode(c *command, fs *flag.FlagSet, _ any, stdin io.Reader, stdout, stderr io.Writer) int {
	if fs.NArg() != 1 {
		return c.usageError(stderr, "name one image file (or - for standard input)")
	}
	name, b, err := readInput(fs.Arg(0), stdin)
	if err != nil {
		fmt.Fprintf(stderr, "relinksim decode: %v\n", err)
		return 2
	}
	img, err := ckpt.Decode(b)
	if err != nil {
		fmt.Fprintf(stderr, "relinksim decode: %s: %v\n", name, err)
		return 2
	}
	j, err := img.JSON()
	if err != nil {
		fmt.Fprintf(stderr, "relinksim decode: %s: %v\n", name, err)
		return 2
	}
	if _, err := stdout.Write(j); err != nil {
		fmt.Fprintf(stderr, "relinksim decode: %v\n", err)
		return 2
	}
	return 0
}

func cmdEncode(c *command, fs *flag.FlagSet, opts any, stdin io.Reader, stdout, stderr io.Writer) int {
	o := opts.(*encodeFlags)
	in := "-"
	switch fs.NArg() {
	case 0:
	case 1:
		in = fs.Arg(0)
	default:
		return c.usageError(stderr, "name at most one JSON file")
	}
	name, b, err := readInput(in, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "relinksim encode: %v\n", err)
		return 2
	}
	img, err := ckpt.DecodeJSON(b)
	if err != nil {
		fmt.Fprintf(stderr, "relinksim encode: %s: %v\n", name, err)
		return 2
	}
	out, err := ckpt.Encode(img)
	if err != nil {
		fmt.Fprintf(stderr, "relinksim encode: %s: %v\n", name, err)
		return 2
	}
	if o.out != "" {
		err = os.WriteFile(o.out, out, 0o644)
	} else {
		_, err = stdout.Write(out)
	}
	if err != nil {
		fmt.Fprintf(stderr, "relinksim encode: %v\n", err)
		return 2
	}
	return 0
}
