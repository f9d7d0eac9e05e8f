// The check registry, in display order. Adding a check: one file in checks/,
// one line here, fixtures and a table test (test/registry.test.ts keeps this
// list and the directory in step).
import type { Check } from '../src/types.js';
import tunModule from './tun-module.js';
import tunPerms from './tun-perms.js';
import vhostNet from './vhost-net.js';
import kvm from './kvm.js';
import brNetfilter from './br-netfilter.js';
import ipForward from './ip-forward.js';
import natMasquerade from './nat-masquerade.js';
import forwardPolicy from './forward-policy.js';
import bridgeState from './bridge-state.js';
import tapState from './tap-state.js';
import ifnameMismatch from './ifname-mismatch.js';
import qemuIfup from './qemu-ifup.js';
import helperSetuid from './helper-setuid.js';
import helperAcl from './helper-acl.js';
import qemuNetdev from './qemu-netdev.js';
import macDuplicate from './mac-duplicate.js';
import nmConflict from './nm-conflict.js';
import netplanDuplicates from './netplan-duplicates.js';
import guestIfname from './guest-ifname.js';
import guestDhcp from './guest-dhcp.js';
import guestRoute from './guest-route.js';

export const ALL_CHECKS: readonly Check[] = [
  tunModule,
  tunPerms,
  vhostNet,
  kvm,
  brNetfilter,
  ipForward,
  natMasquerade,
  forwardPolicy,
  bridgeState,
  tapState,
  ifnameMismatch,
  qemuIfup,
  helperSetuid,
  helperAcl,
  qemuNetdev,
  macDuplicate,
  nmConflict,
  netplanDuplicates,
  guestIfname,
  guestDhcp,
  guestRoute,
];
