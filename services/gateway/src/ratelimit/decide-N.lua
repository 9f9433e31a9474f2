--[[
  One rate-limit decision for one request: evaluates every applicable policy against Redis time and
  commits all of them or none (a denied request spends no quota on the policies that would have allowed
  it, and a deny never writes). Preceded at load time by the algorithm includes (algorithms/*.lua).

  KEYS[i]   the state key of policy i for this request's identity (one key per policy and identity)
  ARGV      5 values per policy i, at b = (i - 1) * 5:
    ARGV[b+1] algorithm: 1 gcra, 2 sliding window, 3 fixed window
    ARGV[b+2] p1 (gcra: emission interval us; windows: window us)
    ARGV[b+3] p2 (gcra: burst; windows: limit)
    ARGV[b+4] cost (integer >= 0; 0 only reads)
    ARGV[b+5] shadow: '1' counts but never blocks

  Output: { seconds, microseconds, admitted, status_1, remaining_1, wait_1, ..., status_n, remaining_n, wait_n }
    seconds, microseconds  the Redis TIME this decision used (strings)
    admitted               1 if every non-shadow policy allowed and state was written, else 0
    status_i               0 allowed, 1 denied, 2 unsatisfiable (cost above burst/limit)
    remaining_i, wait_i    see algorithms/gcra.lua; when the request is not admitted, a policy that allowed
                           reports its unchanged state (nothing was spent), as a cost-0 check would
]]
local ALGORITHMS = { gcra, sliding_window, fixed_window }

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local out = { time[1], time[2], 1 }
local pending = {}
local admitted = true

for i = 1, #KEYS do
  local b = (i - 1) * 5
  local algorithm = ALGORITHMS[tonumber(ARGV[b + 1])]
  local status, remaining, wait, write =
    algorithm.check(KEYS[i], now, tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4]))
  if status ~= 0 and ARGV[b + 5] ~= '1' then admitted = false end
  pending[i] = write
  out[#out + 1] = status
  out[#out + 1] = remaining
  out[#out + 1] = wait
end

if admitted then
  for i = 1, #KEYS do
    if pending[i] ~= nil then
      ALGORITHMS[tonumber(ARGV[(i - 1) * 5 + 1])].commit(KEYS[i], now, pending[i])
    end
  end
else
  out[3] = 0
  for i = 1, #KEYS do
    local b = (i - 1) * 5
    if out[3 + (i - 1) * 3 + 1] == 0 and tonumber(ARGV[b + 4]) > 0 then
      local _, remaining, wait =
        ALGORITHMS[tonumber(ARGV[b + 1])].check(KEYS[i], now, tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), 0)
      out[3 + (i - 1) * 3 + 2] = remaining
      out[3 + (i - 1) * 3 + 3] = wait
    end
  end
end
return out
