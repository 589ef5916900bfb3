-- alert_list: alerts newest (last seen) first, filtered by state and key prefix (a site), up to
-- a limit. Resolved alerts older than the retention are left out (the next raise purges them).
-- Reads only.
--
-- KEYS[1] bodies hash (key → alert JSON)  KEYS[2] meta hash (key → {id, count, first, last,
--   resolved} JSON)  KEYS[3] seen zset (key → last seen ms)  KEYS[4] resolved zset
-- ARGV[1] 'open', 'resolved' or 'all'  ARGV[2] key prefix ('' for any)  ARGV[3] limit
-- ARGV[4] retention cutoff ms (alerts resolved before it are left out)
-- Returns {meta JSON, alert JSON} per alert.

local state, prefix, limit, cutoff = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local out = {}
for _, key in ipairs(redis.call('ZREVRANGE', KEYS[3], 0, -1)) do
  if #out >= limit then
    break
  end
  if prefix == '' or string.sub(key, 1, #prefix) == prefix then
    local resolved = redis.call('ZSCORE', KEYS[4], key)
    local wanted
    if resolved then
      wanted = state ~= 'open' and tonumber(resolved) >= cutoff
    else
      wanted = state ~= 'resolved'
    end
    if wanted then
      out[#out + 1] = {redis.call('HGET', KEYS[2], key), redis.call('HGET', KEYS[1], key)}
    end
  end
end
return out
