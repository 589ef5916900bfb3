-- alert_resolve: marks open alerts resolved: the one of a key, or every one whose key starts
-- with a prefix (all objects of one site and kind). An alert already resolved, or not stored,
-- is left alone, so a repeat changes nothing.
--
-- KEYS[1] meta hash (key → {id, count, first, last, resolved} JSON)  KEYS[2] seen zset
-- KEYS[3] resolved zset (key → resolved at ms)
-- ARGV[1] resolved at ms  ARGV[2] 'key' or 'prefix'  ARGV[3] the key, or the prefix
-- Returns how many alerts were resolved.

local keys = {}
if ARGV[2] == 'key' then
  keys[1] = ARGV[3]
else
  for _, key in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    if string.sub(key, 1, #ARGV[3]) == ARGV[3] then
      keys[#keys + 1] = key
    end
  end
end

local resolved = 0
for _, key in ipairs(keys) do
  local stored = redis.call('HGET', KEYS[1], key)
  if stored then
    local meta = cjson.decode(stored)
    -- 0 means open; a plain `if meta.resolved` would be true for it (0 is true in Lua)
    if meta.resolved == 0 then
      meta.resolved = tonumber(ARGV[1])
      redis.call('HSET', KEYS[1], key, cjson.encode(meta))
      redis.call('ZADD', KEYS[3], ARGV[1], key)
      resolved = resolved + 1
    end
  end
end
return resolved
