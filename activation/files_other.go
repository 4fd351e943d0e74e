//go:build !unix

package activation

import "os"

// files is the inherited descriptors of socket activation: none where there is no Unix
// descriptor passing.
func files() []*os.File { return nil }
