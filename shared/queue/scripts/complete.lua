-- complete: records how a batch of attempts on one stream ended, one call per batch (the
-- per-call cost of a script is what limits throughput). Each attempt's stream entry is
-- acknowledged and deleted, and its job:
--   's' succeeded: result stored, dedup key freed, record expires after the retention;
--   'r' retry:     parked in the delayed set until the backoff (computed by the caller) has
--                  passed, for promote_due to move back; the dedup key stays held;
--   'd' dead:      appended to the dead-letter stream (trimmed to the dead retention), dedup
--                  key freed, record kept for the dead retention.
-- Guards, per attempt: nothing is written unless the run token and entry are the record's
-- current ones and it is running ('stale': the claim was taken over); a repeat with the same
-- token (a reply lost with the connection) answers again and writes nothing.
--
-- KEYS[1] priority stream   KEYS[2] delayed zset   KEYS[3] dead-letter stream
-- KEYS[3 + i] record of attempt i
-- ARGV[1] group  ARGV[2] dedup key prefix {p}:dedup:  ARGV[3] retention ms  ARGV[4] dead retention ms
-- ARGV[5i] .. ARGV[5i + 4] for attempt i: outcome ('s' | 'r' | 'd'), entry id, run token,
--   result JSON or error, backoff ms (retry only)
-- Returns one reply per attempt: 'succeeded' | due time in ms (retry) | 'dead' | 'stale'
-- Dedup keys are derived from ARGV[2] and the records: standalone Redis only.

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local now_s = string.format('%d', now)
local replies = {}
-- acknowledged and deleted together at the end: one XDEL for the batch costs Redis far less
-- than one per entry (it rescans the stream head after every call)
local done = {}

local function free_dedup(rec)
  if rec[5] and redis.call('GET', ARGV[2] .. rec[5]) == rec[4] then
    redis.call('DEL', ARGV[2] .. rec[5])
  end
end

for i = 1, #KEYS - 3 do
  local key = KEYS[3 + i]
  local outcome, entry, token, text = ARGV[5 * i], ARGV[5 * i + 1], ARGV[5 * i + 2], ARGV[5 * i + 3]
  local rec = redis.call('HMGET', key, 'run_token', 'state', 'entry', 'id', 'dedup_key', 'done_token',
    'next_attempt_at', 'error')
  if rec[6] == token then
    -- already recorded by this attempt
    if outcome == 's' then
      replies[i] = 'succeeded'
    elseif outcome == 'd' then
      replies[i] = 'dead'
    else
      replies[i] = tonumber(rec[7]) or now
    end
  elseif rec[1] ~= token or rec[2] ~= 'running' or rec[3] ~= entry then
    replies[i] = 'stale'
  else
    done[#done + 1] = entry
    if outcome == 's' then
      redis.call('HSET', key, 'state', 'succeeded', 'finished_at', now_s, 'result', text, 'done_token', token,
        'run_token', '')
      if rec[8] then
        redis.call('HDEL', key, 'error')
      end
      free_dedup(rec)
      redis.call('PEXPIRE', key, ARGV[3])
      replies[i] = 'succeeded'
    elseif outcome == 'r' then
      local due = now + tonumber(ARGV[5 * i + 4])
      local due_s = string.format('%d', due)
      redis.call('HSET', key, 'state', 'failed', 'finished_at', now_s, 'error', text, 'next_attempt_at', due_s,
        'done_token', token, 'run_token', '')
      redis.call('ZADD', KEYS[2], due_s, rec[4])
      replies[i] = due
    else
      local retention = tonumber(ARGV[4])
      local dead = redis.call('XADD', KEYS[3], 'MINID', '~', string.format('%d', now - retention), '*', 'id', rec[4])
      redis.call('HSET', key, 'state', 'dead', 'finished_at', now_s, 'error', text, 'dead_entry', dead,
        'done_token', token, 'run_token', '')
      free_dedup(rec)
      redis.call('PEXPIRE', key, retention)
      replies[i] = 'dead'
    end
  end
end
if #done > 0 then
  redis.call('XACK', KEYS[1], ARGV[1], unpack(done))
  redis.call('XDEL', KEYS[1], unpack(done))
end
return replies
