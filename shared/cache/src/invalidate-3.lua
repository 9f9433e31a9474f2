-- Invalidates one id's cache entry after a write, version-aware and idempotent: replaying an older or a
-- duplicate event never removes a newer entry, never lowers the floor, and never cancels a fill that is
-- already reading data at least that new.
--
-- KEYS[1] entry key
-- KEYS[2] lease key
-- KEYS[3] floor key (tombstone)
-- ARGV[1] the version the write made current (for a delete: the deleted version + 1); 0 = unconditional
-- ARGV[2] floor (tombstone) TTL in milliseconds
--
-- Reply: 'invalidated' (an entry, and for a new version any in-flight lease, deleted; floor raised)
--        'skipped'     (nothing to do: the entry or the floor already covers this version)

local version = tonumber(ARGV[1])
local entry = redis.call('GET', KEYS[1])

if version == 0 then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 'invalidated'
end

local cached = entry and tonumber(string.match(entry, '^{"s":%d+,"v":(%d+)'))
if cached and cached >= version then
  return 'skipped'
end

local floor = tonumber(redis.call('GET', KEYS[3]) or '0') or 0
if version <= floor then
  -- An invalidation at or past this version already ran and deleted the leases of its time; a lease
  -- granted since then is reading data at least that new, so it is kept. Only an older entry goes.
  if entry then
    redis.call('DEL', KEYS[1])
    return 'invalidated'
  end
  return 'skipped'
end

-- A new version: deleting the lease is what makes a fill that read the source before this write fail.
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('SET', KEYS[3], version, 'PX', ARGV[2])
return 'invalidated'
