package criuhost

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// critImage is `crit decode --pretty`'s JSON: the magic and the entries.
type critImage struct {
	Magic   string           `json:"magic"`
	Entries []map[string]any `json:"entries"`
}

// decode decodes one image of dir with crit; ok is false when the dump
// wrote no such image.
func decode(criu, dir, name string) (img critImage, ok bool, err error) {
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
		return img, false, nil
	}
	out, err := crit(criu, "decode", "-i", p, "--pretty")
	if err != nil {
		return img, false, err
	}
	if err := json.Unmarshal(out, &img); err != nil {
		return img, false, fmt.Errorf("crit decode %s: %v", p, err)
	}
	return img, true, nil
}

func num(v any) int64 {
	switch x := v.(type) {
	case float64:
		return int64(x)
	case string:
		n, _ := strconv.ParseInt(x, 0, 64)
		return n
	}
	return 0
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// extraLen is the length of a base64 "extra" payload.
func extraLen(v any) (int64, error) {
	s := strings.ReplaceAll(str(v), "\n", "")
	b, err := base64.StdEncoding.DecodeString(s)
	return int64(len(b)), err
}

// imageFacts reads, with crit, what the image in dir holds for each of the
// script's descriptors of task pid.
func imageFacts(criu, dir string, pid int, fds []fdName, root string) ([]File, error) {
	must := func(name string) (critImage, error) {
		img, ok, err := decode(criu, dir, name)
		if err == nil && !ok {
			err = fmt.Errorf("the dump in %s has no %s", dir, name)
		}
		return img, err
	}
	ids, err := must(fmt.Sprintf("ids-%d.img", pid))
	if err != nil {
		return nil, err
	}
	if len(ids.Entries) != 1 {
		return nil, fmt.Errorf("ids-%d.img: %d entries", pid, len(ids.Entries))
	}
	fdinfo, err := must(fmt.Sprintf("fdinfo-%d.img", num(ids.Entries[0]["files_id"])))
	if err != nil {
		return nil, err
	}
	files, err := must("files.img")
	if err != nil {
		return nil, err
	}
	remaps, _, err := decode(criu, dir, "remap-fpath.img")
	if err != nil {
		return nil, err
	}
	fifoData, _, err := decode(criu, dir, "fifo-data.img")
	if err != nil {
		return nil, err
	}
	byID := map[int64]map[string]any{}
	for _, e := range files.Entries {
		byID[num(e["id"])] = e
	}
	type remap struct {
		id  int64
		typ string
	}
	remapOf := map[int64]remap{}
	for _, e := range remaps.Entries {
		t := str(e["remap_type"])
		if t == "" {
			t = "LINKED"
		}
		remapOf[num(e["orig_id"])] = remap{num(e["remap_id"]), t}
	}
	fileLabel := map[int64]string{}
	ghostLabel := map[int64]string{}
	var out []File
	for _, f := range fds {
		var fi map[string]any
		for _, e := range fdinfo.Entries {
			if num(e["fd"]) == int64(f.FD) {
				fi = e
			}
		}
		if fi == nil {
			return nil, fmt.Errorf("fd %d (%s) is not in the image's fdinfo", f.FD, f.Name)
		}
		id := num(fi["id"])
		l, ok := fileLabel[id]
		if !ok {
			l = fmt.Sprintf("f%d", len(fileLabel)+1)
			fileLabel[id] = l
		}
		file := File{FD: f.Name, File: l, Type: str(fi["type"]), Remap: "none"}
		ent := byID[id]
		if ent == nil {
			return nil, fmt.Errorf("file id %d (%s) is not in files.img", id, f.Name)
		}
		regID := id
		if fifo := obj(ent["fifo"]); fifo != nil {
			regID = num(fifo["regf_id"])
			for _, d := range fifoData.Entries {
				if num(d["pipe_id"]) == num(fifo["pipe_id"]) {
					n := num(d["bytes"])
					file.PipeBytes = &n
				}
			}
			if file.PipeBytes == nil {
				var zero int64
				file.PipeBytes = &zero
			}
		}
		if reg := obj(byID[regID]["reg"]); reg != nil {
			file.Path = NormalizeText(str(reg["name"]), root)
			file.Pos = num(reg["pos"])
			if sz, ok := reg["size"]; ok {
				n := num(sz)
				file.Size = &n
			}
		}
		if rm, ok := remapOf[regID]; ok {
			file.Remap = rm.typ
			switch rm.typ {
			case "LINKED":
				if reg := obj(byID[rm.id]["reg"]); reg != nil {
					file.RemapPath = NormalizeText(str(reg["name"]), root)
				}
			case "GHOST":
				g, err := ghostFacts(criu, dir, rm.id)
				if err != nil {
					return nil, err
				}
				gl, ok := ghostLabel[rm.id]
				if !ok {
					gl = fmt.Sprintf("g%d", len(ghostLabel)+1)
					ghostLabel[rm.id] = gl
				}
				g.ID = gl
				file.Ghost = g
			}
		}
		out = append(out, file)
	}
	return out, nil
}

// ghostFacts reads ghost-file-ID.img.
func ghostFacts(criu, dir string, id int64) (*Ghost, error) {
	name := fmt.Sprintf("ghost-file-%d.img", id)
	img, ok, err := decode(criu, dir, name)
	if err != nil {
		return nil, err
	}
	if !ok || len(img.Entries) == 0 {
		return nil, fmt.Errorf("the dump in %s has no %s", dir, name)
	}
	head := img.Entries[0]
	g := &Ghost{Mode: fmt.Sprintf("%o", num(head["mode"])), Size: num(head["size"])}
	g.Chunked, _ = head["chunks"].(bool)
	if !g.Chunked {
		n, err := extraLen(head["extra"])
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		g.DataBytes = n
		return g, nil
	}
	for _, c := range img.Entries[1:] {
		g.Chunks++
		g.DataBytes += num(c["len"])
	}
	return g, nil
}
