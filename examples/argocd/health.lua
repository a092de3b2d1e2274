-- Argo CD health check for projectlink's ProjectsIntegration and Office365Integration
-- resources (both report the same conditions). Registered for both kinds in argocd-cm.yaml.
--
--   Progressing  the operator has not reconciled this generation of the spec yet, or waits
--                out a Zoho rate-limit lock (Ready=False, reason RateLimited)
--   Healthy      Ready=True: the live integration matches the spec
--   Suspended    writes are paused (projectlink.dev/paused: "true") with changes pending
--   Degraded     another resource binds the same CRM org (Conflict=True), or Ready=False
--                for any other reason (invalid spec, missing Secret, rejected credentials,
--                refused or failed plan, drift under policy.observeOnly, Zoho unreachable)
local hs = {}

local function condition(status, kind)
  if status == nil or status.conditions == nil then
    return nil
  end
  for _, c in ipairs(status.conditions) do
    if c.type == kind then
      return c
    end
  end
  return nil
end

local function describe(c)
  if c.message ~= nil and c.message ~= "" then
    return c.reason .. ": " .. c.message
  end
  return c.reason
end

local status = obj.status
local ready = condition(status, "Ready")
if ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the projectlink operator to reconcile the resource"
  return hs
end

local generation = obj.metadata.generation
if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the projectlink operator to reconcile generation " .. math.floor(generation)
  return hs
end

local conflict = condition(status, "Conflict")
if conflict ~= nil and conflict.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(conflict)
  return hs
end

if ready.status == "True" then
  hs.status = "Healthy"
  local drifted = condition(status, "Drifted")
  if drifted ~= nil and drifted.reason == "Repaired" then
    -- A repaired drift stays reported until the next one; worth seeing, not alarming.
    hs.message = describe(drifted)
  else
    hs.message = ready.message
  end
  return hs
end

if ready.status ~= "False" then
  hs.status = "Progressing"
  hs.message = describe(ready)
  return hs
end

if ready.reason == "RateLimited" then
  -- The operator retries once Zoho's lock ends; nothing is wrong with the resource.
  hs.status = "Progressing"
elseif ready.reason == "Paused" then
  hs.status = "Suspended"
else
  hs.status = "Degraded"
end
hs.message = describe(ready)
return hs
