-- Tests health.lua against sample resources in the shapes the projectlink operator writes
-- (conditions as in src/operator/outcome.rs), and checks that argocd-cm.yaml registers
-- exactly that script for both kinds. Run: lua5.4 examples/argocd/health_test.lua
local here = arg[0]:match("^(.*)/") or "."

local function health(obj)
  -- Argo CD runs the script with the resource as the global `obj`.
  local env = setmetatable({ obj = obj }, { __index = _G })
  local chunk = assert(loadfile(here .. "/health.lua", "t", env))
  return chunk()
end

local function cond(type_, status, reason, message)
  return { type = type_, status = status, reason = reason, message = message or "",
           lastTransitionTime = "2026-12-03T09:00:00Z", observedGeneration = 3 }
end

local function resource(kind, generation, status)
  return { apiVersion = "projectlink.dev/v1alpha1", kind = kind,
           metadata = { name = "acme", namespace = "team-a", generation = generation },
           spec = {}, status = status }
end

local in_sync = "the live integration matches the spec"
local cases = {
  { "no status yet", resource("ProjectsIntegration", 1, nil), "Progressing", "Waiting" },
  { "an empty status", resource("ProjectsIntegration", 1, {}), "Progressing", "Waiting" },
  { "status of an older generation",
    resource("ProjectsIntegration", 4, { observedGeneration = 3, conditions = {
      cond("Ready", "True", "Reconciled", in_sync) } }),
    "Progressing", "generation 4" },
  { "reconciled",
    resource("ProjectsIntegration", 3, { observedGeneration = 3, portal = "Acme Delivery",
      conditions = {
        cond("Ready", "True", "Reconciled", in_sync),
        cond("Synced", "True", "Applied", "applied 4 change(s)"),
        cond("Drifted", "False", "InSync", in_sync) } }),
    "Healthy", in_sync },
  { "a repaired drift",
    resource("Office365Integration", 3, { observedGeneration = 3, conditions = {
      cond("Ready", "True", "Reconciled", in_sync),
      cond("Synced", "True", "UpToDate", "nothing to apply"),
      cond("Drifted", "False", "Repaired", "synced 2 change(s) made outside projectlink") } }),
    "Healthy", "Repaired: synced 2" },
  { "another resource binds the org",
    resource("ProjectsIntegration", 3, { observedGeneration = 3, conditions = {
      cond("Ready", "False", "Conflict", "team-b/acme already binds CRM org 123"),
      cond("Synced", "False", "Conflict", "team-b/acme already binds CRM org 123"),
      cond("Drifted", "Unknown", "Conflict", "team-b/acme already binds CRM org 123"),
      cond("Conflict", "True", "OrgBoundElsewhere", "team-b/acme already binds CRM org 123") } }),
    "Degraded", "OrgBoundElsewhere: team-b/acme" },
  { "rejected credentials",
    resource("Office365Integration", 3, { observedGeneration = 3, conditions = {
      cond("Ready", "False", "CredentialsRejected", "Zoho Accounts rejected the refresh token"),
      cond("Synced", "False", "CredentialsRejected", "Zoho Accounts rejected the refresh token"),
      cond("Drifted", "Unknown", "NotObserved", "the live integration could not be observed") } }),
    "Degraded", "CredentialsRejected: Zoho Accounts" },
  { "a Zoho rate-limit lock",
    resource("ProjectsIntegration", 3, { observedGeneration = 3, conditions = {
      cond("Ready", "False", "RateLimited", "Zoho Projects locked the API for 900 s"),
      cond("Drifted", "Unknown", "NotObserved", "the live integration could not be observed") } }),
    "Progressing", "RateLimited" },
  { "paused with changes pending",
    resource("ProjectsIntegration", 3, { observedGeneration = 3, conditions = {
      cond("Ready", "False", "Paused", "2 change(s) pending: create module Deals"),
      cond("Synced", "False", "Paused", "writes are paused by the projectlink.dev/paused annotation"),
      cond("Drifted", "True", "Paused", "2 change(s) pending: create module Deals") } }),
    "Suspended", "Paused" },
  { "drift under observeOnly",
    resource("ProjectsIntegration", 3, { observedGeneration = 3, conditions = {
      cond("Ready", "False", "ObserveOnly", "1 change(s) pending: update profile Standard"),
      cond("Drifted", "True", "ObserveOnly", "1 change(s) pending: update profile Standard") } }),
    "Degraded", "ObserveOnly: 1 change(s)" },
  { "a failed apply",
    resource("Office365Integration", 3, { observedGeneration = 3, conditions = {
      cond("Ready", "False", "ApplyFailed", "apply incomplete: 3 applied, 1 failed, 0 skipped") } }),
    "Degraded", "ApplyFailed" },
  { "an invalid spec of the current generation",
    resource("ProjectsIntegration", 5, { observedGeneration = 5, conditions = {
      cond("Ready", "False", "InvalidSpec", "spec.portal.name: must not be empty") } }),
    "Degraded", "InvalidSpec" },
  { "readiness unknown",
    resource("ProjectsIntegration", 3, { observedGeneration = 3, conditions = {
      cond("Ready", "Unknown", "Reconciling", "") } }),
    "Progressing", "Reconciling" },
}

local failures = 0
for _, case in ipairs(cases) do
  local name, obj, want_status, want_message = case[1], case[2], case[3], case[4]
  local hs = health(obj)
  local message = hs.message or ""
  if hs.status ~= want_status or not message:find(want_message, 1, true) then
    failures = failures + 1
    print(string.format("FAIL %s: got %s %q, want %s with %q", name, tostring(hs.status),
      message, want_status, want_message))
  else
    print(string.format("ok   %-42s %-11s %s", name, hs.status, message))
  end
end

-- argocd-cm.yaml must register health.lua, unchanged, for both kinds.
local function read(path)
  local file = assert(io.open(path, "r"))
  local text = file:read("a")
  file:close()
  return text
end
local script = read(here .. "/health.lua")
local configmap = read(here .. "/argocd-cm.yaml")
for _, kind in ipairs({ "ProjectsIntegration", "Office365Integration" }) do
  local key = "  resource.customizations.health.projectlink.dev_" .. kind .. ": |\n"
  local start = configmap:find(key, 1, true)
  local inlined = {}
  if start ~= nil then
    local rest = configmap:sub(start + #key)
    for line in rest:gmatch("([^\n]*)\n") do
      if line ~= "" and line:sub(1, 4) ~= "    " then
        break
      end
      inlined[#inlined + 1] = line:sub(5)
    end
  end
  -- A block scalar keeps one final newline; blank lines between keys are not part of it.
  while #inlined > 0 and inlined[#inlined] == "" do
    inlined[#inlined] = nil
  end
  local text = table.concat(inlined, "\n") .. "\n"
  if text ~= script then
    failures = failures + 1
    print("FAIL argocd-cm.yaml: the " .. kind .. " health check differs from health.lua")
  else
    print("ok   argocd-cm.yaml registers health.lua for " .. kind)
  end
end

if failures > 0 then
  print(failures .. " failure(s)")
  os.exit(1)
end
print(#cases .. " sample resources and 2 registrations checked")
