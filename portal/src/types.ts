// The API's shapes as the portal uses them (DESIGN §12; snake_case as on the wire). Fields the portal
// does not read are left out.

export interface Me {
  user_id: string;
  username: string;
  roles: string[];
  organization_id: string;
  organization_name?: string | null;
  email?: string | null;
  wallet_address?: string | null;
}

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
}

export interface Gpu {
  device_id: string;
  model: string;
  memory_total_mb: number;
}

export interface Worker {
  id: string;
  name: string;
  organization_id?: string;
  hostname?: string | null;
  address?: string | null;
  zone: string;
  status: string;
  status_reason?: string | null;
  labels?: Record<string, string>;
  capabilities?: string[];
  cpu_cores: number;
  memory_mb: number;
  disk_gb: number;
  gpus?: Gpu[];
  used_cpu_cores?: number;
  used_memory_mb?: number;
  cpu_usage_percent?: number;
  memory_usage_percent?: number;
  vm_count?: number;
  max_vms: number;
  last_seen?: string | null;
  uptime?: string;
  is_healthy?: boolean;
  os?: string | null;
  cpu_model?: string | null;
  agent_version?: string | null;
  version?: number;
}

export interface VmSpec {
  cpu_cores: number;
  memory_mb: number;
  disk_gb: number;
  image_id: string;
  gpu_count?: number;
}

export interface Vm {
  id: string;
  name: string;
  organization_id?: string;
  lease_id?: string | null;
  status: string;
  status_reason?: string | null;
  worker_id?: string | null;
  address?: string | null;
  port?: number | null;
  spec?: VmSpec;
  version?: number;
  created_at?: string;
}

export interface LeaseCost {
  currency: string;
  tier: string;
  hourly: number;
  total: number;
  /** The whole leased time's price (= total); charged: per started minute used; not_charged once ended. */
  reserved?: number;
  charged?: number;
  not_charged?: number | null;
  billed_minutes?: number;
}

/** GET /api/v1/usage: an organisation's use over [from, to). */
export interface Usage {
  organization_id?: string | null;
  from: string;
  to: string;
  currency: string;
  leases: { started: number; ended: number; billed: number };
  vm_hours: number;
  cost: number;
  days: { date: string; vm_hours: number; cost: number }[];
}

export interface LeaseAccess {
  vm_id: string;
  host?: string | null;
  port?: number | null;
  username: string;
  auth: string;
  password?: string | null;
}

export interface Lease {
  id: string;
  name?: string;
  status: string;
  placement?: string;
  organization_id?: string;
  vms: { id: string; name: string; status: string; status_reason?: string | null; worker_id?: string | null; spec?: VmSpec }[];
  leased_from: string;
  leased_until: string;
  ended_at?: string | null;
  cost?: LeaseCost;
  access?: LeaseAccess[];
  created_at?: string;
}

export interface Image {
  id: string;
  name: string;
  default_cpu_cores: number;
  default_memory_mb: number;
  default_disk_gb: number;
}

export interface PricingTier {
  id: string;
  name: string;
  price_per_vcpu_hour: number;
  price_per_gb_memory_hour: number;
  price_per_gb_disk_hour: number;
  price_per_gpu_hour: number;
  currency: string;
}

export interface WorkerToken {
  token: string;
  expires_at: string;
  install_script: string;
  worker_id: string;
}

export interface MetricPoint {
  timestamp: string;
  cpu_usage_percent: number;
  memory_usage_percent: number;
  disk_usage_percent: number;
}

export interface ClusterStats {
  total_workers: number;
  active_workers: number;
  draining_workers: number;
  offline_workers: number;
  pending_workers?: number;
  maintenance_workers?: number;
  healthy_workers?: number;
  total_cpu_cores: number;
  used_cpu_cores: number;
  available_cpu_cores: number;
  total_memory_mb: number;
  used_memory_mb: number;
  available_memory_mb: number;
  cluster_cpu_usage_percent: number;
  cluster_memory_usage_percent: number;
  total_vms: number;
  max_vms: number;
  available_vm_slots: number;
  zones: Record<string, number>;
}

export interface DistributionEntry {
  worker_id: string;
  name: string;
  hostname?: string | null;
  zone: string;
  status: string;
  vm_count: number;
  vms: { id: string; name: string; status: string }[];
}

/** One message of the live stream (../live-contract.md). */
export interface LiveEvent {
  type: string;
  organization_id: string;
  occurred_at: string;
  data: Record<string, unknown>;
}

export interface LiveSnapshot {
  workers: Worker[];
  vms: Vm[];
  leases: Lease[];
  at: string;
}
