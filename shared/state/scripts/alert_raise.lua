-- alert_raise: raises an alert as a condition, keyed by (site, kind, object). A new key opens an
-- alert with count 1; an open one counts one more raise; a resolved one is reopened. Either way
-- the latest raise's JSON (message, severity, context) replaces the stored one, and the id and
-- first-seen time of the first raise are kept. Not idempotent: a repeat counts twice.
-- Resolved alerts older than the retention are purged first; then, above the bound, the oldest
-- resolved alerts go, and only then the oldest open ones (never the one just raised).
--
-- KEYS[1] bodies hash (key → alert JSON)  KEYS[2] meta hash (key → {id, count, first, last,
--   resolved} JSON, times in ms, resolved 0 while open)
-- KEYS[3] seen zset (key → last seen ms)  KEYS[4] resolved zset (key → resolved at ms)
-- ARGV[1] key  ARGV[2] alert JSON  ARGV[3] id for a new key  ARGV[4] raised at ms
-- ARGV[5] most alerts kept  ARGV[6] purge cutoff ms (alerts resolved before it are dropped)
-- Returns {id, count} as stored.

local function drop(key)
  redis.call('HDEL', KEYS[1], key)
  redis.call('HDEL', KEYS[2], key)
  redis.call('ZREM', KEYS[3], key)
  redis.call('ZREM', KEYS[4], key)
end

for _, key in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', '(' .. ARGV[6])) do
  drop(key)
end

local key, now = ARGV[1], tonumber(ARGV[4])
local stored = redis.call('HGET', KEYS[2], key)
local meta
if stored then
  meta = cjson.decode(stored)
  meta.count = meta.count + 1
  meta.last = math.max(meta.last, now)
  meta.resolved = 0
else
  meta = {id = ARGV[3], count = 1, first = now, last = now, resolved = 0}
end
redis.call('HSET', KEYS[1], key, ARGV[2])
redis.call('HSET', KEYS[2], key, cjson.encode(meta))
redis.call('ZADD', KEYS[3], string.format('%d', meta.last), key)
redis.call('ZREM', KEYS[4], key)

local excess = redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[5])
if excess > 0 then
  for _, old in ipairs(redis.call('ZRANGE', KEYS[4], 0, excess - 1)) do
    drop(old)
    excess = excess - 1
  end
end
if excess > 0 then
  -- every resolved alert is gone: the oldest of the seen set are open ones
  for _, old in ipairs(redis.call('ZRANGE', KEYS[3], 0, excess)) do
    if excess > 0 and old ~= key then
      drop(old)
      excess = excess - 1
    end
  end
end
return {meta.id, meta.count}
