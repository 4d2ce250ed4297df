-- wrk script for bench_server.sh: POST validateAttestationOccurrence with
-- a different signature every request. $VOUCH_BENCH_BODIES holds one
-- request body per line, each signed anew (ECDSA signatures are random),
-- more than vouchd's verify cache holds (a ring: the oldest entry goes
-- first), so cycling through them never finds one still cached. wrk
-- thread k of n sends bodies k, k+n, k+2n, ...: no two threads send the
-- same body close together.
local bodies = {}
for line in io.lines(os.getenv("VOUCH_BENCH_BODIES")) do
  bodies[#bodies + 1] = line
end
assert(#bodies > 0, "no bodies in $VOUCH_BENCH_BODIES")

local threads = {}
function setup(thread)
  thread:set("index", #threads)
  threads[#threads + 1] = thread
end

local step = tonumber(os.getenv("VOUCH_BENCH_THREADS") or "1")
local headers = { ["Content-Type"] = "application/json" }
function request()
  index = (index % #bodies) + 1
  local body = bodies[index]
  index = index + step - 1
  return wrk.format("POST", nil, headers, body)
end

-- Counted in each thread's state (response runs there), summed by done
-- (which runs in the state that ran setup).
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
