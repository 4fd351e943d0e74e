package keepfile

import (
	"os"

	"golang.org/x/sys/unix"
)

const (
	modeSticky = os.ModeSticky
	bitSticky  = unix.S_ISVTX
)
