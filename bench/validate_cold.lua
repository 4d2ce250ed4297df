-- wrk script for bench_server.sh: POST validateAttestationOccurrence with
-- a different signature every request. $VOUCH_BENCH_BODIES holds one
-- request body per line, each signed anew (ECDSA signatures are random),
-- more than vouchd's verify cache holds (a ring: the oldest entry goes
-- first), so cycling through them never finds one still cached. wrk
-- thread k of n sends bodies k, k+n, k+2n, ...: no two threads send the
-- same body close together.
--
-- Each thread formats its requests once, in init(), and request() only
-- hands the next one over; there is no response() callback (see
-- validate.lua): the answers are checked through vouchd's counters.
local bodies = {}
for line in io.lines(os.getenv("VOUCH_BENCH_BODIES")) do
  bodies[#bodies + 1] = line
end
assert(#bodies > 0, "no bodies in $VOUCH_BENCH_BODIES")

local threads = {}
function setup(thread)
  thread:set("first", #threads + 1)
  threads[#threads + 1] = thread
end

local requests = {}
local next_request = 0
function init(args)
  local step = tonumber(os.getenv("VOUCH_BENCH_THREADS") or "1")
  local headers = { ["Content-Type"] = "application/json" }
  for i = first, #bodies, step do
    requests[#requests + 1] = wrk.format("POST", nil, headers, bodies[i])
  end
  assert(#requests > 0, "no requests for this thread")
end

function request()
  next_request = next_request % #requests + 1
  return requests[next_request]
end
