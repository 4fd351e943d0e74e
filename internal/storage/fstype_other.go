//go:build !linux

package storage

// typeOf names the kind of the file system of dir where Linux can tell it; "" here.
func typeOf(dir string) string { return "" }
