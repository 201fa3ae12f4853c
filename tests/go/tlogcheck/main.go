// Command tlogcheck verifies a folder of C2SP tlog-tiles with Go's
// golang.org/x/mod/sumdb/tlog and golang.org/x/mod/sumdb/note, which share no
// code with accordwatch: the checkpoint's signature by the log key, every hash
// tile against the checkpoint's root, every entry of the bundles against its
// leaf hash, an inclusion proof of every entry and, given an earlier tree, the
// consistency proof between the two, each built from the tiles alone.
//
// Usage: tlogcheck DIR VKEY [OLD_SIZE OLD_ROOT_BASE64]
//
// It prints one JSON object on success and exits 1 with the reason otherwise.
package main

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const height = 8

// tileReader reads tiles from the folder by their C2SP path: Go's sumdb path
// `tile/8/L/N[.p/W]` without the height element.
type tileReader struct{ dir string }

func (r tileReader) Height() int { return height }

func c2spPath(t tlog.Tile) string {
	path := "tile/" + strings.TrimPrefix(t.Path(), "tile/8/")
	// Go's sumdb calls the entry bundles "data"; tlog-tiles calls them "entries".
	return strings.Replace(path, "tile/data/", "tile/entries/", 1)
}

func (r tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := os.ReadFile(filepath.Join(r.dir, c2spPath(t)))
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (r tileReader) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "tlogcheck: "+format+"\n", args...)
	os.Exit(1)
}

func bundleEntries(data []byte) ([][]byte, error) {
	var out [][]byte
	for len(data) > 0 {
		if len(data) < 2 {
			return nil, fmt.Errorf("truncated length")
		}
		n := int(binary.BigEndian.Uint16(data))
		data = data[2:]
		if len(data) < n {
			return nil, fmt.Errorf("truncated entry")
		}
		out = append(out, data[:n])
		data = data[n:]
	}
	return out, nil
}

func main() {
	if len(os.Args) != 3 && len(os.Args) != 5 {
		fail("usage: tlogcheck DIR VKEY [OLD_SIZE OLD_ROOT_BASE64]")
	}
	dir, vkey := os.Args[1], os.Args[2]
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		fail("log key: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if err != nil {
		fail("checkpoint: %v", err)
	}
	n, err := note.Open(raw, note.VerifierList(verifier))
	if err != nil {
		fail("checkpoint signature: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 {
		fail("checkpoint body has %d lines", len(lines))
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint size: %v", err)
	}
	rootBytes, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(rootBytes) != tlog.HashSize {
		fail("checkpoint root: %q", lines[2])
	}
	var root tlog.Hash
	copy(root[:], rootBytes)
	tree := tlog.Tree{N: size, Hash: root}
	hashes := tlog.TileHashReader(tree, tileReader{dir})

	computed, err := tlog.TreeHash(size, hashes)
	if err != nil || computed != root {
		fail("tree hash from the tiles: %v", err)
	}
	checked := int64(0)
	for start := int64(0); start < size; start += 256 {
		width := size - start
		if width > 256 {
			width = 256
		}
		t := tlog.Tile{H: height, L: -1, N: start / 256, W: int(width)}
		data, err := os.ReadFile(filepath.Join(dir, c2spPath(t)))
		if err != nil {
			fail("entry bundle: %v", err)
		}
		entries, err := bundleEntries(data)
		if err != nil || int64(len(entries)) != width {
			fail("entry bundle %s: %d entries, %v", c2spPath(t), len(entries), err)
		}
		for i, entry := range entries {
			index := start + int64(i)
			leaf := tlog.RecordHash(entry)
			stored, err := hashes.ReadHashes([]int64{tlog.StoredHashIndex(0, index)})
			if err != nil || stored[0] != leaf {
				fail("entry %d does not hash to its leaf: %v", index, err)
			}
			proof, err := tlog.ProveRecord(size, index, hashes)
			if err != nil {
				fail("inclusion proof of %d: %v", index, err)
			}
			if err := tlog.CheckRecord(proof, size, root, index, leaf); err != nil {
				fail("inclusion proof of %d: %v", index, err)
			}
			checked++
		}
	}
	result := map[string]any{"origin": lines[0], "size": size, "entries_checked": checked}
	if len(os.Args) == 5 {
		oldSize, err := strconv.ParseInt(os.Args[3], 10, 64)
		if err != nil {
			fail("old size: %v", err)
		}
		oldBytes, err := base64.StdEncoding.DecodeString(os.Args[4])
		if err != nil || len(oldBytes) != tlog.HashSize {
			fail("old root: %q", os.Args[4])
		}
		var oldRoot tlog.Hash
		copy(oldRoot[:], oldBytes)
		proof, err := tlog.ProveTree(size, oldSize, hashes)
		if err != nil {
			fail("consistency proof: %v", err)
		}
		if err := tlog.CheckTree(proof, size, root, oldSize, oldRoot); err != nil {
			fail("consistency proof: %v", err)
		}
		result["consistent_with"] = oldSize
	}
	out, _ := json.Marshal(result)
	fmt.Println(string(out))
}
