// Cue terms and phrases that fold a description's wording onto a cause.
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/explain/diagnose.js';
import { tokens } from '../../src/explain/describe.js';

const top = (text: string) => diagnose(text).map((d) => d.cause.id);

describe('phrases fold retold messages and UI texts', () => {
  it('"in use by <an interface>" retells libvirt\'s subnet collision', () => {
    expect(tokens('the network is already in use by my ethernet port')).toContain('in-use-by-interface');
    expect(tokens('said to be in use by interface eno1')).toContain('in-use-by-interface');
    expect(tokens('it is in use by wlp3s0')).toContain('in-use-by-interface');
    expect(tokens('already in use by virbr1')).toContain('in-use-by-interface');
    // a tap or a port held by another process is something else
    expect(tokens('the tap is already in use by another VM')).not.toContain('in-use-by-interface');
    expect(tokens('port 2222 is in use by sshd')).not.toContain('in-use-by-interface');
  });

  it('an unknown IP address in the VM\'s NIC page is no address', () => {
    expect(tokens('IP address: unknown')).toEqual(['no-ip']);
    expect(tokens('the address is unknown')).toEqual(['no-ip']);
    expect(tokens('networkctl shows it stuck in configuring')).toContain('no-ip');
  });

  it('the stack\'s name and "internet access" are not words about /dev/kvm permissions', () => {
    expect(tokens('qemu/kvm')).toEqual(['qemu']);
    expect(tokens('KVM/QEMU guests')).toEqual(['qemu', 'vm']);
    expect(tokens('no internet access')).toEqual(['internet']);
  });
});

describe('descriptions of these causes rank them first', () => {
  const cases: [string, string][] = [
    ['the libvirt network for my cluster refuses to start, it is said to be in use by my wired interface enp3s0 which is on the same LAN range', 'libvirt-net-clash'],
    ['vagrant cannot bring up its private network because it is already in use by the VPN tun0', 'libvirt-net-clash'],
    ['since ufw is on, my NAT guests get no IP address and have no internet access although the default network is active', 'libvirt-firewall'],
    ['after a libvirt update virt-manager shows the IP address of every guest as unknown and they have no internet; ufw is enabled', 'libvirt-firewall'],
    ['since I changed the host kernel my VMs on the NAT network get no IP address and no internet', 'libvirt-firewall'],
    ['guests on the libvirt NAT network stay without an address, the NIC page says IP unknown', 'libvirt-firewall'],
    ['after rebooting into the lts kernel my kvm guests on the NAT network no longer get an address', 'libvirt-firewall'],
    ['IPv6 from the routed guests works but their IPv4 traffic never gets beyond the host', 'ip-forward'],
  ];
  for (const [text, cause] of cases) {
    it(text, () => expect(top(text)[0], top(text).join(',')).toBe(cause));
  }
});
