// Built by bench/bench_cli.py (sisimai_go_peer) in a scratch directory, where ./sisimai is
// go-sisimai's library code (no tests, no set-of-emails) and golang.org/x/{net,text} are
// Debian's source packages (golang-golang-x-net-dev, golang-golang-x-text-dev): no module proxy.
module bouncepipe.invalid/bench/sisimai_go

go 1.18

require libsisimai.org/sisimai v0.0.0

require (
	golang.org/x/net v0.35.0 // indirect
	golang.org/x/text v0.22.0 // indirect
)

replace (
	golang.org/x/net => /usr/share/gocode/src/golang.org/x/net
	golang.org/x/text => /usr/share/gocode/src/golang.org/x/text
	libsisimai.org/sisimai => ./sisimai
)
