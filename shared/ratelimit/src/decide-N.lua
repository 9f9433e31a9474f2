--[[
  Rate-limit decisions for a batch of requests: the store coalesces the decisions that arrive within one
  event-loop turn (at most its maxBatch) into one call, so Redis pays one script call, not one per request.
  Each request's policies are evaluated against the same Redis time and committed all or none (a denied
  request spends no quota on the policies that would have allowed it, and a deny never writes). Requests
  are decided in order, so two requests of one identity in a batch see each other's writes, exactly as two
  calls would. Preceded at load time by the algorithm includes (algorithms/*.lua).

  KEYS      every request's state keys, request after request (one key per policy and identity)
  ARGV[1]   the number of requests R in the batch
  ARGV[2]   not-after: the Redis time (µs) past which the caller no longer waits for this call, 0 for none.
            A call that reaches Redis later (it sat in the socket while Redis was frozen or paused) decides
            nothing and spends nothing: its requests were already answered by their failure mode.
  ARGV      then per request: its policy count n, then 5 values per policy i:
    algorithm (1 gcra, 2 sliding window, 3 fixed window)
    p1 (gcra: emission interval us; windows: window us)
    p2 (gcra: burst; windows: limit)
    cost (integer >= 0; 0 only reads)
    shadow ('1' counts but never blocks)

  Output: { seconds, microseconds, expired, then per request: admitted, status_1, remaining_1, wait_1, ..., status_n,
            remaining_n, wait_n }
    seconds, microseconds  the Redis TIME every decision of the batch used (strings)
    expired                1 when the call arrived past its not-after (and the output ends there), else 0
    admitted               1 if every non-shadow policy allowed and state was written, else 0
    status_i               0 allowed, 1 denied, 2 unsatisfiable (cost above burst/limit)
    remaining_i, wait_i    see algorithms/gcra.lua; when the request is not admitted, a policy that allowed
                           reports its unchanged state (nothing was spent), as a cost-0 check would
]]
local ALGORITHMS = { gcra, sliding_window, fixed_window }

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local not_after = tonumber(ARGV[2])
if not_after > 0 and now > not_after then return { time[1], time[2], 1 } end
local out = { time[1], time[2], 0 }

-- Decides one request whose keys start after KEYS[k] and whose policy values start after ARGV[a].
local function decide(k, a, n)
  local head = #out + 1
  local pending = {}
  local admitted = true
  out[head] = 1
  for i = 1, n do
    local b = a + (i - 1) * 5
    local status, remaining, wait, write = ALGORITHMS[tonumber(ARGV[b + 1])].check(
      KEYS[k + i], now, tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4]))
    if status ~= 0 and ARGV[b + 5] ~= '1' then admitted = false end
    pending[i] = write
    out[head + i * 3 - 2] = status
    out[head + i * 3 - 1] = remaining
    out[head + i * 3] = wait
  end
  for i = 1, n do
    local b = a + (i - 1) * 5
    local algorithm = ALGORITHMS[tonumber(ARGV[b + 1])]
    if admitted then
      if pending[i] ~= nil then algorithm.commit(KEYS[k + i], now, pending[i]) end
    elseif out[head + i * 3 - 2] == 0 and tonumber(ARGV[b + 4]) > 0 then
      local _, remaining, wait =
        algorithm.check(KEYS[k + i], now, tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), 0)
      out[head + i * 3 - 1] = remaining
      out[head + i * 3] = wait
    end
  end
  if not admitted then out[head] = 0 end
end

local k, a = 0, 2
for _ = 1, tonumber(ARGV[1]) do
  local n = tonumber(ARGV[a + 1])
  decide(k, a + 1, n)
  k = k + n
  a = a + 1 + n * 5
end
return out
