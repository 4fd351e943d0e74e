//go:build !linux

package strategy

import (
	"fmt"
	"os"
)

// Executable returns the path that runs this binary again (os.Executable).
func Executable() (string, error) {
	path, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find this executable: %w", err)
	}
	return path, nil
}
