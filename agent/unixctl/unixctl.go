// Package unixctl serves OVS's unixctl protocol (JSON-RPC 1.0 over a unix
// socket) so that `ovn-appctl -t <socket> <command>` drives chassisd the
// way it drives ovn-controller.
//
// The socket is created as OVS creates its own: mode 0770 less the umask,
// so never open to other users. RemoveStale clears the sockets that killed
// agents left behind.
package unixctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
)

// Handler runs one command; the returned string is the command's output.
type Handler func(args []string) (string, error)

// Command is one registered command.
type Command struct {
	Name string
	// Usage is shown by list-commands ("" shows nothing after the name;
	// Hidden commands are not listed).
	Usage  string
	Hidden bool
	// MinArgs and MaxArgs bound the number of arguments; the server
	// answers OVS's errors outside them. MaxArgs < 0 means no limit.
	MinArgs, MaxArgs int
	Handler          Handler
}

// Server is a unixctl server on one socket.
type Server struct {
	path string
	log  *slog.Logger

	// OnRequest, when set, is called for every request received and every
	// reply sent (coverage counters).
	OnRequest, OnReply func()

	mu       sync.Mutex
	commands map[string]Command
	listener net.Listener
}

// New returns a server that will listen on path.
func New(path string, log *slog.Logger) *Server {
	s := &Server{path: path, log: log.With("module", "unixctl"), commands: map[string]Command{}}
	s.RegisterCommand(Command{Name: "list-commands", MaxArgs: 0, Handler: s.listCommands})
	return s
}

// Register adds a command taking any number of arguments.
func (s *Server) Register(name string, h Handler) {
	s.RegisterCommand(Command{Name: name, MaxArgs: -1, Handler: h})
}

// RegisterCommand adds (or replaces) a command.
func (s *Server) RegisterCommand(c Command) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commands[c.Name] = c
}

func (s *Server) listCommands([]string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := make([]string, 0, len(s.commands))
	for n, c := range s.commands {
		if !c.Hidden {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("The available commands are:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-23s %s\n", n, s.commands[n].Usage)
	}
	return b.String(), nil
}

// Path is the socket path.
func (s *Server) Path() string { return s.path }

// Listen creates the socket (mode 0770 less the umask, as OVS does),
// replacing a file left at its path. Serve calls it when it was not.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listener != nil {
		return nil
	}
	_ = os.Remove(s.path)
	l, err := listenUnix(s.path, 0o770)
	if err != nil {
		return fmt.Errorf("unixctl listen on %s: %w", s.path, err)
	}
	s.listener = l
	return nil
}

// listenUnix binds a unix stream socket whose file gets mode & ~umask: on
// Linux the socket inode's mode, set before bind, becomes the file's.
func listenUnix(path string, mode uint32) (net.Listener, error) {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	if err := syscall.Fchmod(fd, mode); err != nil {
		return nil, os.NewSyscallError("fchmod", err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		return nil, os.NewSyscallError("bind", err)
	}
	if err := syscall.Listen(fd, syscall.SOMAXCONN); err != nil {
		_ = os.Remove(path)
		return nil, os.NewSyscallError("listen", err)
	}
	l, err := net.FileListener(f)
	if err != nil {
		_ = os.Remove(path)
		return nil, err
	}
	return l, nil
}

// Serve answers requests until ctx is cancelled, then removes the socket.
func (s *Server) Serve(ctx context.Context) error {
	if err := s.Listen(); err != nil {
		return err
	}
	s.mu.Lock()
	l := s.listener
	s.mu.Unlock()
	var wg sync.WaitGroup
	go func() {
		<-ctx.Done()
		l.Close()
	}()
	defer func() {
		wg.Wait()
		s.Close()
	}()
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("unixctl accept: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.serveConn(ctx, c)
		}()
	}
}

// Close stops listening and removes the socket file.
func (s *Server) Close() {
	s.mu.Lock()
	l := s.listener
	s.mu.Unlock()
	if l != nil {
		l.Close()
	}
	_ = os.Remove(s.path)
}

type request struct {
	Method string          `json:"method"`
	Params []string        `json:"params"`
	ID     json.RawMessage `json:"id"`
}

type response struct {
	Result any             `json:"result"`
	Error  any             `json:"error"`
	ID     json.RawMessage `json:"id"`
}

func (s *Server) serveConn(ctx context.Context, c net.Conn) {
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	dec := json.NewDecoder(c)
	enc := json.NewEncoder(c)
	for {
		var req request
		if err := dec.Decode(&req); err != nil {
			return
		}
		if s.OnRequest != nil {
			s.OnRequest()
		}
		s.log.Debug(fmt.Sprintf("received request %s%q, id=%s", req.Method, req.Params, req.ID))
		resp := response{ID: req.ID}
		if out, err := s.run(req.Method, req.Params); err != nil {
			resp.Error = withNewline(err.Error())
		} else {
			resp.Result = withNewline(out)
		}
		if err := enc.Encode(resp); err != nil {
			return
		}
		if s.OnReply != nil {
			s.OnReply()
		}
	}
}

func (s *Server) run(method string, params []string) (string, error) {
	s.mu.Lock()
	c, ok := s.commands[method]
	s.mu.Unlock()
	maxArgs := c.MaxArgs
	if maxArgs < 0 {
		maxArgs = math.MaxInt
	}
	switch {
	case !ok:
		return "", fmt.Errorf("\"%s\" is not a valid command (use \"list-commands\" to see a list of valid commands)", method)
	case len(params) < c.MinArgs:
		return "", fmt.Errorf("\"%s\" command requires at least %d arguments", method, c.MinArgs)
	case len(params) > maxArgs:
		return "", fmt.Errorf("\"%s\" command takes at most %d arguments", method, c.MaxArgs)
	}
	return c.Handler(params)
}

// withNewline ends a non-empty reply with a newline, as OVS's unixctl
// server does, so `ovs-appctl` output always ends a line.
func withNewline(s string) string {
	if s != "" && !strings.HasSuffix(s, "\n") {
		return s + "\n"
	}
	return s
}
