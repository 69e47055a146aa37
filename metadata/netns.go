package metadata

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// DefaultNetnsDir is where named network namespaces live (iproute2's
// NETNS_RUN_DIR): a namespace is a bind mount of its nsfs file there.
const DefaultNetnsDir = "/run/netns"

// namespaces manages named network namespaces under one directory.
type namespaces struct {
	dir string
}

func (n namespaces) path(name string) string { return filepath.Join(n.dir, name) }

// list returns the names of the ovnmeta- namespaces present.
func (n namespaces) list() ([]string, error) {
	entries, err := os.ReadDir(n.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list namespaces in %s: %w", n.dir, err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), NamespacePrefix) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// open returns a handle on a named namespace, or os.ErrNotExist when
// there is none (a file that is not a namespace mount, left behind by a
// mount namespace that went away, counts as none).
func (n namespaces) open(name string) (netns.NsHandle, error) {
	h, err := netns.GetFromPath(n.path(name))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return netns.None(), os.ErrNotExist
		}
		return netns.None(), fmt.Errorf("open namespace %s: %w", name, err)
	}
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(h), &st); err != nil {
		h.Close()
		return netns.None(), fmt.Errorf("open namespace %s: %w", name, err)
	}
	if st.Type != unix.NSFS_MAGIC {
		h.Close()
		return netns.None(), os.ErrNotExist
	}
	return h, nil
}

// create makes a new named namespace (lo up) and returns a handle on it.
// A leftover plain file of that name is replaced.
func (n namespaces) create(name string) (netns.NsHandle, error) {
	if err := n.prepareDir(); err != nil {
		return netns.None(), err
	}
	path := n.path(name)
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return netns.None(), fmt.Errorf("remove stale %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return netns.None(), fmt.Errorf("create namespace %s: %w", name, err)
	}
	f.Close()
	// unshare() moves the calling thread into the new namespace: do it on
	// a locked thread that goes back before being unlocked (or dies with
	// its goroutine if it cannot).
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer orig.Close()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("unshare: %w", err)
			return
		}
		self := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
		err = unix.Mount(self, path, "none", unix.MS_BIND, "")
		if err != nil {
			err = fmt.Errorf("bind mount: %w", err)
		}
		if serr := netns.Set(orig); serr != nil {
			// Leave the thread locked: it exits with this goroutine.
			errc <- errors.Join(err, fmt.Errorf("return to the original namespace: %w", serr))
			return
		}
		runtime.UnlockOSThread()
		errc <- err
	}()
	if err := <-errc; err != nil {
		_ = os.Remove(path)
		return netns.None(), fmt.Errorf("create namespace %s: %w", name, err)
	}
	h, err := n.open(name)
	if err != nil {
		return netns.None(), err
	}
	return h, nil
}

// prepareDir creates the directory and makes it a shared mount point, as
// iproute2 does, so that namespaces created later show in the mount
// namespaces that already exist (ip netns exec, containers with a
// bidirectional mount).
func (n namespaces) prepareDir() error {
	if err := os.MkdirAll(n.dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", n.dir, err)
	}
	if err := unix.Mount("", n.dir, "none", unix.MS_SHARED|unix.MS_REC, ""); err == nil {
		return nil
	} else if !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("make %s shared: %w", n.dir, err)
	}
	// EINVAL: not a mount point yet.
	if err := unix.Mount(n.dir, n.dir, "none", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind mount %s onto itself: %w", n.dir, err)
	}
	if err := unix.Mount("", n.dir, "none", unix.MS_SHARED|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("make %s shared: %w", n.dir, err)
	}
	return nil
}

// remove unmounts and deletes a named namespace (a no-op if absent). The
// namespace itself goes away with its last user.
func (n namespaces) remove(name string) error {
	path := n.path(name)
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmount namespace %s: %w", name, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove namespace %s: %w", name, err)
	}
	return nil
}

// inNamespace runs fn on an OS thread switched into ns. Sockets created by
// fn stay in ns after the thread leaves it, so fn can open listeners that
// the rest of the process serves.
func inNamespace(ns netns.NsHandle, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer orig.Close()
		if err := netns.Set(ns); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("enter namespace: %w", err)
			return
		}
		ferr := fn()
		if err := netns.Set(orig); err != nil {
			errc <- errors.Join(ferr, fmt.Errorf("return to the original namespace: %w", err))
			return
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}
