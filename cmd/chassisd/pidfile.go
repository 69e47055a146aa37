package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// pidfile is a pidfile held as OVS daemons hold theirs: the file carries
// this process' pid and a POSIX (fcntl) write lock owned by it, so that
// ovs-appctl, ovn-ctl and a second daemon can tell a live pidfile from a
// stale one. The lock lives as long as the file stays open.
type pidfile struct {
	name string
	f    *os.File
}

// createPidfile writes name for this process, as make_pidfile does: under
// the lock of "<name>.tmp", then renamed into place. An existing pidfile
// locked by a live process is an error unless overwrite is set.
func createPidfile(name string, overwrite bool) (*pidfile, error) {
	pid := os.Getpid()
	tmp := name + ".tmp"
	if overwrite {
		tmp = fmt.Sprintf("%s.tmp%d", name, pid)
	}
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("%s: create failed (%w)", tmp, err)
	}
	if err := lockFile(f, syscall.F_SETLK); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: fcntl(F_SETLK) failed (%w)", tmp, err)
	}
	if !overwrite {
		if running, err := readPidfile(name, true); err != nil {
			os.Remove(tmp)
			f.Close()
			return nil, err
		} else if running > 0 {
			os.Remove(tmp)
			f.Close()
			return nil, fmt.Errorf("%s: already running as pid %d, aborting", name, running)
		}
	}
	if err := f.Truncate(0); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: truncate failed (%w)", tmp, err)
	}
	if _, err := f.WriteString(strconv.Itoa(pid) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: write failed (%w)", tmp, err)
	}
	if err := os.Rename(tmp, name); err != nil {
		os.Remove(tmp)
		f.Close()
		return nil, fmt.Errorf("failed to rename %q to %q (%w)", tmp, name, err)
	}
	return &pidfile{name: name, f: f}, nil
}

// remove deletes the pidfile if it is still ours, then releases the lock.
func (p *pidfile) remove() {
	if p == nil || p.f == nil {
		return
	}
	if st, err := os.Stat(p.name); err == nil {
		if own, err := p.f.Stat(); err == nil && os.SameFile(st, own) {
			os.Remove(p.name)
		}
	}
	p.f.Close()
	p.f = nil
}

func lockFile(f *os.File, cmd int) error {
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: io.SeekStart}
	for {
		err := syscall.FcntlFlock(f.Fd(), cmd, &lk)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}

// readPidfile returns the pid of the live process holding name, 0 when
// there is no pidfile (or, with deleteStale, a stale one was removed), or
// an error; as OVS's read_pidfile.
func readPidfile(name string, deleteStale bool) (int, error) {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	} else if err != nil {
		return 0, fmt.Errorf("%s: open: %w", name, err)
	}
	defer f.Close()
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: io.SeekStart}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk); err != nil {
		return 0, fmt.Errorf("%s: fcntl: %w", name, err)
	}
	if lk.Type == syscall.F_UNLCK {
		if !deleteStale {
			return 0, fmt.Errorf("%s: pid file is stale", name)
		}
		// Only the process that locks a stale pidfile may delete it.
		if err := lockFile(f, syscall.F_SETLK); err != nil {
			return 0, fmt.Errorf("%s: lost race to lock pidfile", name)
		}
		st, err1 := os.Stat(name)
		own, err2 := f.Stat()
		if err1 != nil || err2 != nil || !os.SameFile(st, own) {
			return 0, fmt.Errorf("%s: lost race to delete pidfile", name)
		}
		if err := os.Remove(name); err != nil {
			return 0, fmt.Errorf("%s: failed to delete stale pidfile (%w)", name, err)
		}
		return 0, nil
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return 0, fmt.Errorf("%s: read: %w", name, err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid != int(lk.Pid) {
		return 0, fmt.Errorf("%s: stale pidfile for pid %s being deleted by pid %d", name, strings.TrimSpace(string(b)), lk.Pid)
	}
	return pid, nil
}
