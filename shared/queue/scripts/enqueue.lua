-- enqueue: creates job records and appends the jobs to their priority streams, one call per
-- batch. A job whose dedup key is held by a live job is not enqueued. Optionally fenced (a
-- scheduler tick, one job): then nothing is written unless the fence still holds the lease,
-- and at most once per schedule entry and tick.
-- Idempotent per job id: repeating a call whose reply was lost enqueues nothing twice.
--
-- KEYS[1] all-jobs index zset   KEYS[2] scheduler lease hash   KEYS[3] scheduler ticks hash
-- KEYS[1 + 3i] priority stream of job i   KEYS[2 + 3i] its record {p}:job:{id}
-- KEYS[3 + 3i] its dedup key {p}:dedup:{key} (ignored without a dedup key)
-- ARGV[1] index horizon ms (index entries older than now minus this are dropped; 0 keeps all)
-- ARGV[2] job key prefix {p}:job:
-- ARGV[3] fence token or '' (unfenced)  ARGV[4] fence epoch  ARGV[5] schedule entry  ARGV[6] tick ms
-- ARGV[7i] .. ARGV[7i + 6] for job i: id, kind, payload JSON, priority, dedup key or '',
--   max attempts, scheduler epoch or ''
-- Returns one reply per job: {'enqueued', id} | {'duplicate', holder id} | {'fenced'} | {'already'}
-- Dedup holders' record keys are derived from ARGV[2]: standalone Redis only.

local jobs = (#KEYS - 3) / 3
local replies = {}

if ARGV[3] ~= '' then
  local lease = redis.call('HMGET', KEYS[2], 'token', 'epoch')
  local verdict = nil
  if lease[1] ~= ARGV[3] or lease[2] ~= ARGV[4] then
    verdict = {'fenced'}
  else
    local last = redis.call('HGET', KEYS[3], ARGV[5])
    if last and tonumber(last) >= tonumber(ARGV[6]) then
      verdict = {'already'}
    end
  end
  if verdict then
    for i = 1, jobs do
      replies[i] = verdict
    end
    return replies
  end
  redis.call('HSET', KEYS[3], ARGV[5], ARGV[6])
end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local now_s = string.format('%d', now)

for i = 1, jobs do
  local stream, key, dedup = KEYS[1 + 3 * i], KEYS[2 + 3 * i], KEYS[3 + 3 * i]
  local id, dedup_key, epoch = ARGV[7 * i], ARGV[7 * i + 4], ARGV[7 * i + 6]
  local holder = false
  if redis.call('EXISTS', key) == 1 then
    -- a repeat of this very call
    replies[i] = {'enqueued', id}
  else
    if dedup_key ~= '' then
      holder = redis.call('GET', dedup)
      -- a key whose holder record is gone (expired, deleted by hand) is free again
      if holder and redis.call('EXISTS', ARGV[2] .. holder) == 0 then
        holder = false
      end
    end
    if holder then
      replies[i] = {'duplicate', holder}
    else
      if dedup_key ~= '' then
        redis.call('SET', dedup, id)
      end
      local entry = redis.call('XADD', stream, '*', 'id', id)
      local fields = {'id', id, 'kind', ARGV[7 * i + 1], 'payload', ARGV[7 * i + 2], 'priority', ARGV[7 * i + 3],
        'state', 'queued', 'attempts', '0', 'max_attempts', ARGV[7 * i + 5], 'created_at', now_s,
        'enqueued_at', now_s, 'entry', entry}
      if dedup_key ~= '' then
        fields[#fields + 1] = 'dedup_key'
        fields[#fields + 1] = dedup_key
      end
      if epoch ~= '' then
        fields[#fields + 1] = 'epoch'
        fields[#fields + 1] = epoch
      end
      redis.call('HSET', key, unpack(fields))
      redis.call('ZADD', KEYS[1], now_s, id)
      replies[i] = {'enqueued', id}
    end
  end
end

local horizon = tonumber(ARGV[1])
if horizon > 0 then
  -- records older than every retention have expired: drop their index entries as we go
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. string.format('%d', now - horizon))
end
return replies
