// The Go peer for bench/bench_cli.py --peer: Sisimai's Go port (go-sisimai) over the same bounce
// files, measured as bench/sisimai_peer.pl measures the Perl Sisimai: every file read into memory
// first, then passes over the texts doing what sisimai.Rise does for each email it reads (line
// ends to LF, then fact.Rise: the Go form of Sisimai->make(\$text)); the best pass per
// CPU-second of this process (GC included) is reported. sisimai.Rise itself is not called on
// the text: its in-memory reader panics on texts under 1,000 bytes (mail.setNewLine slices
// [:1000]), and a path would put file reading into the timing.
//
//	sisimai-go-peer REPEAT < list-of-email-paths
//
// Prints one line of JSON: {"sisimai": version, "files": n, "results": decoded recipients,
// "panics": inputs Sisimai panicked on, "best_cpu_s": seconds, "gomaxprocs": n}. GOMAXPROCS is
// 1 unless the environment says otherwise, so the figure is one core's, as bouncepipe's one-job
// figure is.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"

	"libsisimai.org/sisimai"
	sisifact "libsisimai.org/sisimai/fact"
	"libsisimai.org/sisimai/sis"
	sisimoji "libsisimai.org/sisimai/string"
)

// cpuSeconds is this process's user+system CPU time so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

// readTexts reads every file named on standard input (one path a line) into memory.
func readTexts() ([]string, error) {
	texts := []string{}
	scanner := bufio.NewScanner(os.Stdin)
	for scanner.Scan() {
		path := strings.TrimSpace(scanner.Text())
		if path == "" {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		texts = append(texts, string(data))
	}
	return texts, scanner.Err()
}

// decode runs Sisimai over one in-memory email: the count of decoded recipients, and whether
// Sisimai panicked on it (counted, not fatal: one input must not end the run).
func decode(text string, args *sis.DecodingArgs) (n int, panicked bool) {
	defer func() {
		if recover() != nil {
			n, panicked = 0, true
		}
	}()
	facts, _ := sisifact.Rise(sisimoji.ToLF(&text), "<MEMORY>", args)
	return len(facts), false
}

func main() {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	repeat := 5
	if len(os.Args) > 1 {
		n, err := strconv.Atoi(os.Args[1])
		if err != nil || n < 1 {
			fmt.Fprintln(os.Stderr, "usage: sisimai-go-peer REPEAT < list-of-email-paths")
			os.Exit(2)
		}
		repeat = n
	}
	texts, err := readTexts()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	args := sisimai.Args()
	best, results, panics := -1.0, 0, 0
	for pass := 0; pass <= repeat; pass++ { // pass 0 warms up, as in sisimai_peer.pl
		start := cpuSeconds()
		count, failed := 0, 0
		for _, text := range texts {
			n, panicked := decode(text, args)
			count += n
			if panicked {
				failed++
			}
		}
		took := cpuSeconds() - start
		results, panics = count, failed
		if pass > 0 && (best < 0 || took < best) {
			best = took
		}
	}
	out, _ := json.Marshal(map[string]any{
		"sisimai": strings.TrimPrefix(sisimai.Version(), "v"), "files": len(texts),
		"results": results, "panics": panics, "best_cpu_s": best, "gomaxprocs": runtime.GOMAXPROCS(0),
	})
	fmt.Println(string(out))
}
