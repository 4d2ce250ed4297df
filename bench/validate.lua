-- wrk script for bench_server.sh: POST the validateAttestationOccurrence
-- request body that bench_server.sh wrote to $VOUCH_BENCH_BODY.
--
-- No response() callback: with one, wrk builds a Lua table of every
-- answer's headers and a string of its body, a few microseconds of CPU per
-- request on the two cores it shares with vouchd (bench/SERVER.md), while
-- the /healthz reference runs with no script at all.
-- Every answer is still checked: bench_server.sh fails the run unless
-- wrk saw only 2xx answers and vouchd's decision counters (/metrics)
-- moved by VERIFIED alone, at least once per answer.
local f = assert(io.open(os.getenv("VOUCH_BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
