package unixctl

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// RemoveStale removes the control sockets "<program>.<pid>.ctl" in dir
// that a killed process left behind: those whose process is gone and
// that no longer accept connections. It returns the paths removed.
func RemoveStale(dir, program string) []string {
	matches, _ := filepath.Glob(filepath.Join(dir, program+".*.ctl"))
	var removed []string
	for _, path := range matches {
		pidText := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(path), program+"."), ".ctl")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid <= 0 || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); err == nil || errors.Is(err, syscall.EPERM) {
			continue // alive, maybe another agent's
		}
		c, err := net.DialTimeout("unix", path, 200*time.Millisecond)
		if err == nil {
			c.Close()
			continue // answered: some process serves it after all
		}
		if os.Remove(path) == nil {
			removed = append(removed, path)
		}
	}
	return removed
}
