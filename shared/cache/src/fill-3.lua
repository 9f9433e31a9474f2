-- Stores a cache entry read from the source of truth, only while the caller still holds the lease it was
-- granted before that read: an invalidation in between deleted the lease, an eviction or expiry removed it,
-- or another caller took it over. Any of those makes the fill fail, so a stale read can never be stored.
--
-- KEYS[1] entry key
-- KEYS[2] lease key
-- KEYS[3] floor key (tombstone)
-- ARGV[1] lease token
-- ARGV[2] version of the data; 0 for a negative entry (no such id)
-- ARGV[3] data as JSON ('null' for a negative entry)
-- ARGV[4] fresh period in milliseconds (after it the entry is served STALE while one caller refreshes)
-- ARGV[5] entry lifetime in milliseconds (fresh period + grace, capped; the key's PX)
-- ARGV[6] envelope schema version
--
-- Reply: 'stored' | 'lease_lost' | 'version_rejected'
-- The entry is the envelope {"s":<schema>,"v":<version>,"c":<cachedAtMs>,"f":<freshUntilMs>,"d":<data>},
-- timestamps from the Redis clock.

if redis.call('GET', KEYS[2]) ~= ARGV[1] then
  return 'lease_lost'
end

local version = tonumber(ARGV[2])
if version > 0 then
  local floor = tonumber(redis.call('GET', KEYS[3]) or '0') or 0
  local current = redis.call('GET', KEYS[1])
  local cached = current and tonumber(string.match(current, '^{"s":%d+,"v":(%d+)')) or 0
  if version < floor or version < cached then
    redis.call('DEL', KEYS[2])
    return 'version_rejected'
  end
end

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local entry = '{"s":' .. ARGV[6] .. ',"v":' .. version .. ',"c":' .. now .. ',"f":' .. (now + tonumber(ARGV[4])) ..
  ',"d":' .. ARGV[3] .. '}'
redis.call('SET', KEYS[1], entry, 'PX', ARGV[5])
redis.call('DEL', KEYS[2])
return 'stored'
