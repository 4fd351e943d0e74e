//go:build !linux

package keepfile

const (
	modeSticky = 0
	bitSticky  = 0
)
