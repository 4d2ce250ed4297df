-- wrk script for bench_server.sh: POST the validateAttestationOccurrence
-- request body that bench_server.sh wrote to $VOUCH_BENCH_BODY.
local f = assert(io.open(os.getenv("VOUCH_BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"

-- Count answers that are not VERIFIED (a broken setup must not look fast),
-- in each thread's state (response runs there); done, which runs in the
-- state that ran setup, sums them.
local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
end

bad = 0
function response(status, headers, body)
  if status ~= 200 or not body:find('"VERIFIED"', 1, true) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("bad")
  end
  io.write(string.format("not_verified %d\n", total))
end
