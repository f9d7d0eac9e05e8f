// One pasted case for every errno-aware / layer message the catalogue gained:
// the text as people paste it, where it comes from (a public report's URL from
// the tuning part of the corpus, or the program's source), and the cause the
// best match must name. Imported by catalogue.test.ts (coverage) and
// families.test.ts (behaviour).
import type { CauseId } from '../../src/explain/causes.js';

export interface FamilyCase {
  entry: string;
  source: string;
  paste: string;
  cause: CauseId;
  errno?: string;
}

export const FAMILY_CASES: FamilyCase[] = [
  { entry: 'qemu-tun-open-any', source: 'qemu tap-linux.c wording, EPERM from a device cgroup', paste: 'qemu-system-x86_64: -netdev tap,id=n0,ifname=tap0,script=no,downscript=no: could not open /dev/net/tun: Operation not permitted', cause: 'tap-privilege', errno: 'EPERM' },
  { entry: 'qemu-tun-open-old', source: 'https://bugs.launchpad.net/ubuntu/+source/qemu/+bug/103010', paste: "warning: could not open /dev/net/tun: no virtual network emulation\nCould not initialize device 'tap'", cause: 'tap-privilege' },
  { entry: 'qemu-tun-configure-any', source: 'qemu tap-linux.c wording, EACCES', paste: 'qemu-system-x86_64: -netdev tap,id=n0,ifname=tap3: could not configure /dev/net/tun (tap3): Permission denied', cause: 'tap-privilege', errno: 'EACCES' },
  { entry: 'tunsetiff-any', source: 'https://github.com/nemuTUI/nemu/issues/74 (errno changed to show the EBUSY branch)', paste: 'nm_net_manage_tap: ioctl(TUNSETIFF): Device or resource busy', cause: 'tap-conflict', errno: 'EBUSY' },
  { entry: 'tap-create-any', source: 'https://github.com/autotest/virt-test/issues/116', paste: '23:47:50 ERROR| TAPCreationError: Cannot create TAP device t1-OEFZqz: [Errno 1] Operation not permitted', cause: 'tap-privilege', errno: 'EPERM' },
  { entry: 'helper-open-tun-any', source: 'https://github.com/wichtounet/thor-os/issues/45', paste: 'failed to open /dev/net/tun: No such device\nqemu-system-x86_64: -netdev tap,helper=/usr/lib/qemu/qemu-bridge-helper,id=thor_net0: bridge helper failed', cause: 'tun-missing', errno: 'ENODEV' },
  { entry: 'helper-create-tun-any', source: 'qemu-bridge-helper.c wording, EBUSY', paste: 'failed to create tun device: Device or resource busy\nqemu-system-x86_64: -netdev bridge,br=br0,id=n0: bridge helper failed', cause: 'tap-conflict', errno: 'EBUSY' },
  { entry: 'helper-add-to-bridge', source: 'qemu-bridge-helper.c wording, br= naming a NIC', paste: "failed to add interface `tap0' to bridge `eth0': Operation not supported\nqemu-system-x86_64: -netdev bridge,br=eth0,id=n0: bridge helper failed", cause: 'bridge-missing', errno: 'ENOTSUP' },
  { entry: 'helper-mtu-any', source: 'https://github.com/ennweb/docker-kvm/issues/12', paste: "failed to get mtu of bridge `br0': No such device\nqemu-system-x86_64: -netdev bridge,br=br0,id=net0: bridge helper failed", cause: 'bridge-missing', errno: 'ENODEV' },
  { entry: 'libvirt-not-suitable-helper', source: 'https://github.com/AshleyYakeley/NixVirt/issues/17', paste: "libvirt.libvirtError: 'qemu-bridge-helper' is not a suitable bridge helper: No such file or directory", cause: 'helper-setuid' },
  { entry: 'libvirt-add-bridge-port', source: 'https://github.com/cockpit-project/cockpit-machines/issues/543', paste: 'I get Unable to add bridge enp3s0 port vnet0: Operation not supported', cause: 'bridge-missing', errno: 'ENOTSUP' },
  { entry: 'libvirt-mtu-any', source: 'https://github.com/Seitanas/kvm-vdi/issues/59', paste: "Starting install...\nERROR    Cannot get interface MTU on 'br0': No such device\nDomain installation does not appear to have been successful.", cause: 'bridge-missing', errno: 'ENODEV' },
  { entry: 'libvirt-create-tap-any', source: 'libvirt virnetdevtap.c wording, ENOENT without /dev/net/tun', paste: "error: Failed to start domain 'vm1'\nerror: Unable to create tap device tap-vm1: No such file or directory", cause: 'tun-missing', errno: 'ENOENT' },
  { entry: 'libvirt-create-bridge', source: 'https://github.com/flathub/org.virt_manager.virt-manager/issues/108', paste: 'Error creating virtual network: error creating bridge interface virbr0: Operation not permitted', cause: 'tap-privilege', errno: 'EPERM' },
  { entry: 'libvirt-net-in-use', source: 'https://github.com/rgouveia-redhat/ocp-libvirt-upi/issues/14', paste: 'error: Failed to start network d41003\nerror: internal error: Network is already in use by interface virbr1', cause: 'libvirt-net-clash' },
  { entry: 'libvirt-bridge-name-in-use', source: 'libvirt bridge_driver.c wording', paste: "libvirt: Network Driver error : internal error: bridge name 'virbr0' already in use.", cause: 'libvirt-net-clash' },
  { entry: 'libvirt-network-inactive-unquoted', source: 'libvirt "network %s is not active" wording', paste: 'error: Requested operation is not valid: network default is not active', cause: 'bridge-missing' },
  { entry: 'libvirt-get-network', source: 'https://github.com/Fmstrat/winapps/issues/126', paste: "error: failed to get network 'default'", cause: 'bridge-missing' },
  { entry: 'libvirt-firewall-backend', source: 'https://cloud-atlas.readthedocs.io/zh_CN/latest/kvm/libvirt/network/libvirt_nat_network.html', paste: 'error: Failed to start network default\nerror: internal error: Failed to initialize a valid firewall backend', cause: 'libvirt-firewall' },
  { entry: 'iptables-backend-broken', source: 'https://github.com/vagrant-libvirt/vagrant-libvirt/issues/834', paste: "Call to virNetworkCreate failed: internal error: Failed to apply firewall rules /sbin/ip6tables --table filter --insert FORWARD --in-interface virbr1 --jump REJECT: ip6tables v1.6.0: can't initialize ip6tables table `filter': Address family not supported by protocol", cause: 'libvirt-firewall' },
  { entry: 'networkd-masquerade', source: 'systemd networkd wording', paste: 'Jul 15 13:31:31 clr systemd-networkd[644]: vmbr9: Could not enable IP masquerading: Operation not permitted', cause: 'nat-masquerade' },
  { entry: 'dnsmasq-listen', source: 'dnsmasq network.c wording, as libvirt logs it', paste: 'libvirtd[1002]: dnsmasq: failed to create listening socket for 192.168.122.1: Address already in use', cause: 'dnsmasq-clash', errno: 'EADDRINUSE' },
  { entry: 'dnsmasq-dhcp-bind', source: 'dnsmasq dhcp.c wording', paste: 'dnsmasq[2001]: failed to bind DHCP server socket: Address already in use', cause: 'dnsmasq-clash' },
  { entry: 'brctl-addif', source: 'https://firestuff.org/2016-05-17-wifi-bridging-redux.html', paste: "$ sudo brctl addif br0 eth0 wlan0\ncan't add wlan0 to bridge br0: Operation not supported", cause: 'bridge-wireless', errno: 'ENOTSUP' },
  { entry: 'libvirt-add-bridge-wireless', source: 'ip link wording with a wireless port', paste: '$ sudo ip link set wlp3s0 master br0\nRTNETLINK answers: Operation not supported', cause: 'bridge-wireless' },
  { entry: 'bridge-ports-wireless', source: 'https://github.com/foxlet/macOS-Simple-KVM/issues/68', paste: 'auto br0\niface br0 inet dhcp\n  bridge_ports wlp2s0 tap0\nNo DHCPOFFERS received.', cause: 'bridge-wireless' },
  { entry: 'kernel-port-disabled', source: 'linux br_stp.c wording', paste: '[ 812.551] br0: port 1(enp3s0) entered disabled state', cause: 'bridge-uplink' },
  { entry: 'vhost-not-compiled', source: 'https://github.com/containers/virtcontainers/issues/610 (arm QEMU without vhost-net)', paste: 'qemu-system-arm: -netdev tap,id=network-0,vhost=on: vhost-net support is not compiled in', cause: 'vhost-net' },
  { entry: 'runqemu-tun-unavailable', source: 'https://github.com/YoeDistro/yoe-distro/issues/265', paste: 'runqemu - ERROR - TUN control device /dev/net/tun is unavailable; you may need to enable TUN (e.g. sudo modprobe tun)\nrunqemu - INFO - Cleaning up', cause: 'tun-missing' },
  { entry: 'runqemu-tap-setup', source: 'poky runqemu wording', paste: 'runqemu - ERROR - Failed to setup tap device. Run runqemu-gen-tapdevs to manually create.', cause: 'tap-privilege' },
  { entry: 'runqemu-tap-lock', source: 'poky runqemu wording', paste: 'runqemu - INFO - Acquiring lockfile /tmp/qemu-tap-locks/tap0.lock failed: [Errno 11] Resource temporarily unavailable', cause: 'tap-conflict' },
  { entry: 'runqemu-port-lock', source: 'poky runqemu wording (slirp)', paste: 'runqemu - INFO - Acquiring lockfile /tmp/qemu-port-locks/2222.lock failed: [Errno 11] Resource temporarily unavailable', cause: 'hostfwd-port' },
  { entry: 'ubridge-privileges', source: 'https://github.com/GNS3/ubridge/issues/57', paste: 'Bridge requires root access or capability to interact with network adapters', cause: 'helper-setuid' },
  { entry: 'proxmox-bridge-missing', source: 'Proxmox qemu-server wording', paste: "TASK ERROR: bridge 'vmbr1' does not exist\nkvm: -netdev type=tap,id=net0,ifname=tap100i0,script=/var/lib/qemu-server/pve-bridge: network script /var/lib/qemu-server/pve-bridge failed with status 512", cause: 'bridge-missing' },
  { entry: 'proxmox-pve-bridge-script', source: 'qemu net/tap.c wording with Proxmox up-script', paste: 'kvm: -netdev type=tap,id=net0,ifname=tap101i0,script=/var/lib/qemu-server/pve-bridge,downscript=/var/lib/qemu-server/pve-bridgedown: network script /var/lib/qemu-server/pve-bridge failed with status 6400', cause: 'bridge-missing' },
  { entry: 'ip-cannot-find-bridge', source: 'https://github.com/EvilFreelancer/docker-routeros/issues/13 (the bridge line alone)', paste: 'Cannot find device "qemubr1"', cause: 'bridge-missing' },
  { entry: 'kernel-renamed', source: 'https://github.com/coreos/docs/pull/125', paste: 'systemd-udevd[291]: renamed network interface eth0 to ens3', cause: 'guest-ifname' },
  { entry: 'kernel-ipconfig-failed', source: 'linux ipconfig.c wording in a guest console', paste: '[    9.439977] ..... timed out!\n[   90.298166] IP-Config: Reopening network devices...\n[  177.651921] IP-Config: Auto-configuration of network failed', cause: 'guest-dhcp' },
  { entry: 'forward-drop-listing', source: 'https://github.com/docker/for-linux/issues/949 (iptables -L pasted)', paste: 'Chain FORWARD (policy DROP)\ntarget     prot opt source               destination\nLIBVIRT_FWX  all  --  anywhere             anywhere\nDOCKER-USER  all  --  anywhere             anywhere', cause: 'forward-policy' },
  { entry: 'bridge-nf-call-on', source: 'sysctl output pasted with a bridged VM problem', paste: '$ sysctl net.bridge.bridge-nf-call-iptables\nnet.bridge.bridge-nf-call-iptables = 1', cause: 'br-netfilter' },
  { entry: 'nm-unmanaged', source: 'nmcli wording', paste: 'Error: Connection activation failed: No suitable device found for this connection (device eth0 not available because device is strictly unmanaged).', cause: 'nm-conflict' },
  { entry: 'netplan-conflict', source: 'netplan apply wording', paste: '$ sudo netplan apply\nConflicting default route declarations for IPv4 (table: main, metric: default), first declared in br0 but also in enp3s0', cause: 'netplan-duplicates' },
  { entry: 'qemu-nic-invalid', source: 'qemu < 2.12 option parsing (no -nic yet)', paste: 'qemu-system-arm: -nic: invalid option', cause: 'qemu-cmdline' },
  { entry: 'oz-nat-bridge', source: 'https://github.com/clalancette/oz/issues/73', paste: 'ERROR: Could not find a viable libvirt NAT bridge, install cannot continue', cause: 'bridge-missing' },
  { entry: 'netplan-apply-failed', source: 'netplan wording as reported by a bridge-managing tool', paste: "[ERROR] > Command 'netplan apply' failed with return code 78\nstderr: /etc/netplan/03-br1.yaml", cause: 'netplan-duplicates' },
];
