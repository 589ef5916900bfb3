-- plan_transition: moves a stored plan from one state to the next (pending → approved,
-- approved → executed, pending → expired), so two approvals can never both win.
--
-- KEYS[1] the plan's hash
-- ARGV[1] the state the plan must be in  ARGV[2] the state to set
-- Returns the state found ('' when the plan does not exist); the change happened only if it
-- equals ARGV[1].

local state = redis.call('HGET', KEYS[1], 'state')
if not state then
  return ''
end
if state == ARGV[1] then
  redis.call('HSET', KEYS[1], 'state', ARGV[2])
end
return state
