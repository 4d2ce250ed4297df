-- wrk script for bench_server.sh: POST the validateAttestationOccurrence
-- request body that bench_server.sh wrote to $VOUCH_BENCH_BODY.
local f = assert(io.open(os.getenv("VOUCH_BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"

-- Count answers that are not VERIFIED (a broken setup must not look fast).
local bad = 0
function response(status, headers, body)
  if status ~= 200 or not body:find('"VERIFIED"', 1, true) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  io.write(string.format("not_verified %d\n", bad))
end
