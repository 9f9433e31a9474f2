-- Invalidates a user's cache entry after a write, version-aware and idempotent: replaying an older or a
-- duplicate event never removes a newer entry, and never lowers the floor.
--
-- KEYS[1] entry key
-- KEYS[2] lease key
-- KEYS[3] floor key (tombstone)
-- ARGV[1] the write's row version (for a delete: the deleted version + 1); 0 = unconditional
-- ARGV[2] floor (tombstone) TTL in milliseconds
--
-- Reply: 'invalidated' (entry and any in-flight lease deleted, floor raised to the version)
--        'skipped'     (the cached entry already holds this version or a newer one)

local version = tonumber(ARGV[1])
local entry = redis.call('GET', KEYS[1])
if version > 0 and entry then
  local cached = tonumber(string.match(entry, '^{"s":%d+,"v":(%d+)'))
  if cached and cached >= version then
    return 'skipped'
  end
end

-- Deleting the lease is what makes a fill that read the row before this write fail.
redis.call('DEL', KEYS[1], KEYS[2])
if version > 0 then
  local floor = tonumber(redis.call('GET', KEYS[3]) or '0') or 0
  if version > floor then
    redis.call('SET', KEYS[3], version, 'PX', ARGV[2])
  else
    redis.call('PEXPIRE', KEYS[3], ARGV[2])
  end
end
return 'invalidated'
