// The causes `qnet explain` can name, each with the host checks that tell
// whether it applies, the fix, and the symptoms people describe when they have
// no error message to paste. Symptoms are written in our own words from public
// reports (the URL of each report is kept beside it); facts carry over, the
// reporters' sentences do not. `cues` are terms that point strongly at a cause
// (169.254, docker, wlan, vhost, 52:54:00:12:34:56 ...), weighted on top of the
// ranking of the symptom words (see describe.ts).
import type { CheckId } from '../types.js';

export type CauseId =
  | 'tun-perms' | 'tun-missing' | 'tap-privilege' | 'tap-conflict' | 'helper-setuid' | 'helper-acl'
  | 'qemu-ifup' | 'bridge-missing' | 'bridge-wireless' | 'bridge-uplink' | 'br-netfilter'
  | 'forward-policy' | 'ip-forward' | 'nat-masquerade' | 'libvirt-firewall' | 'libvirt-net-clash'
  | 'dnsmasq-clash' | 'vhost-net' | 'kvm' | 'duplicate-identity' | 'guest-ifname' | 'guest-dhcp'
  | 'guest-route' | 'ifname-mismatch' | 'nm-conflict' | 'netplan-duplicates' | 'hostfwd-port'
  | 'qemu-cmdline' | 'qemu-netdev';

export interface Symptom {
  /** What people report, in our words. */
  text: string;
  /** The public report it was gathered from. */
  source: string;
}

export interface Cause {
  id: CauseId;
  /** One sentence: what is wrong. */
  title: string;
  fix: string;
  checkIds: CheckId[];
  symptoms: Symptom[];
  /** Terms (already in the tokenizer's canonical form) that point at this cause, with a weight. */
  cues: Record<string, number>;
}

const S = (text: string, source: string): Symptom => ({ text, source });

export const CAUSES: readonly Cause[] = [
  {
    id: 'tun-perms',
    title: 'the user running the VM cannot open /dev/net/tun read-write (its mode or group, or a security profile, keeps them out)',
    fix: 'Let the user open /dev/net/tun: a udev rule giving it group netdev/kvm mode 0660 with the user in that group, or mode 0666 as Debian and Fedora ship (qnet fix tun-perms); check AppArmor/SELinux denials too.',
    checkIds: ['tun-perms'],
    symptoms: [
      S('qemu as a normal user cannot open the tun device, permission denied on /dev/net/tun', 'https://github.com/os-autoinst/openQA/issues/544'),
      S('/dev/net/tun is crw------- root only so my user gets permission denied when the VM starts its tap network', 'https://github.com/os-autoinst/openQA/issues/544'),
      S('apparmor profile blocks the worker from opening /dev/net/tun', 'https://github.com/os-autoinst/openQA/issues/544'),
      S('inside the jail the unprivileged VMM user cannot open /dev/net/tun or /dev/kvm because the /dev and /dev/net directories there are not accessible to it', 'https://github.com/firecracker-microvm/firecracker/issues/1802'),
      S('the VM started by the init script as an unprivileged user could not use the tap until /dev/net/tun was given to its group with read-write rights', 'https://github.com/jirutka/qemu-openrc/pull/1'),
    ],
    cues: { 'devnettun': 1, permiss: 1, chmod: 0.5, apparmor: 1 },
  },
  {
    id: 'tun-missing',
    title: '/dev/net/tun is missing or no driver answers it: the tun module is not loaded (kernel upgraded without reboot, minimal kernel such as WSL2) or the node was not passed into the container',
    fix: 'Load the driver and load it at boot: sudo modprobe tun; echo tun | sudo tee /etc/modules-load.d/tun.conf (after a kernel upgrade, reboot). In a container pass the node in (--device /dev/net/tun, --cap-add NET_ADMIN). qnet fix tun-module.',
    checkIds: ['tun-module'],
    symptoms: [
      S('inside a docker container runqemu says the tun control device is unavailable and suggests modprobe tun', 'https://github.com/YoeDistro/yoe-distro/issues/265'),
      S('modprobe tun fails: module not found for the running kernel, on WSL2', 'https://github.com/crops/poky-container/issues/96'),
      S('the routeros container cannot open /dev/net/tun, no such file, the device was not passed to docker', 'https://github.com/EvilFreelancer/docker-routeros/issues/13'),
      S('after an arch kernel update the bridge helper says no such device for /dev/net/tun', 'https://github.com/wichtounet/thor-os/issues/45'),
      S('yocto runqemu inside a build container fails because there is no tun device', 'https://github.com/gmacario/easy-build/issues/8'),
      S('slirp4netns cannot open /dev/net/tun for the user network; a new kernel had been installed but was not running yet, so the tun module could not load until the machine was restarted', 'https://github.com/podman-container-tools/podman/issues/9543'),
      S('the overlay network daemon stops at start with no such device for its tun interface on arch; it worked once the new kernel was booted and modprobe tun was run', 'https://github.com/slackhq/nebula/issues/27'),
      S('on the phone kernel /dev/net/tun does not exist, the tun module was not built; the fixed kernel ships it again', 'https://github.com/maemo-leste/bugtracker/issues/295'),
    ],
    cues: { 'devnettun': 1, modprobe: 1.5, container: 1, docker: 0.5, wsl: 1.5, runqemu: 0.5, unavail: 1, 'no-such-device': 1 },
  },
  {
    id: 'tap-privilege',
    title: 'the VM process may not create a tap: it lacks CAP_NET_ADMIN (a normal user, an unprivileged libvirt session, a container or a snap), or the tap it names belongs to another user',
    fix: 'Let root pre-create a tap owned by the user (sudo ip tuntap add dev tap0 mode tap user $USER; then -netdev tap,ifname=tap0,script=no,downscript=no), or use -netdev bridge through a privileged qemu-bridge-helper (qnet fix helper-setuid helper-acl), or connect to qemu:///system; -netdev user needs no privilege at all.',
    checkIds: ['tap-state', 'tun-perms', 'helper-setuid', 'helper-acl'],
    symptoms: [
      S('the tap network only works when I run the start script with sudo, as my user it fails', 'https://github.com/foxlet/macOS-Simple-KVM/issues/197'),
      S('a non root user cannot create a tap interface, setting cap_net_admin on the program fixed it', 'https://github.com/nemuTUI/nemu/issues/74'),
      S('virt-manager from flatpak on a user session cannot create a virtual network or bridge, operation not permitted', 'https://github.com/flathub/org.virt_manager.virt-manager/issues/108'),
      S('the test suite tries to create a tap device without root privileges and fails', 'https://github.com/autotest/virt-test/issues/116'),
      S('interface type ethernet only works when qemu runs as root; modern kernels need cap_net_admin for taps', 'https://listman.redhat.com/archives/libvirt-users/2015-March/007587.html'),
      S('qemu tap networking is broken for normal users although /dev/net/tun is world writable', 'https://bugs.launchpad.net/ubuntu/+source/qemu/+bug/103010'),
      S('unikernel networking with a tap fails unless started as superuser', 'https://github.com/mirage/mirage-skeleton/issues/234'),
      S('the microVM does not boot when its container runs as a non-root user: it could not create the network device because opening the tap is not permitted', 'https://github.com/urunc-dev/urunc/issues/310'),
    ],
    cues: { sudo: 1, root: 1, 'non-root': 1.5, 'cap_net_admin': 1.5, session: 1, flatpak: 1, snap: 1, unprivileg: 1.5, tunsetiff: 1 },
  },
  {
    id: 'tap-conflict',
    title: 'the tap named in ifname= (or <target dev=/>) is already in use by another VM or process, exists with other flags, or is a tun device',
    fix: 'Give each VM its own tap (ifname=tap1 …) or drop the fixed name so a free one is picked; stop the process holding it (qnet doctor shows which pid holds which tap); recreate a tun-mode device as a tap.',
    checkIds: ['tap-state'],
    symptoms: [
      S('hot-plugging a nic into a running VM fails, libvirt cannot create the tap vnic6.1 because it is busy', 'https://github.com/zstackio/zstack/issues/77'),
      S('creating a new microVM fails now and then because ip tuntap add tap4 says the device is busy, a tap of that name was still held', 'https://github.com/CelestoAI/SmolVM/issues/91'),
      S('the native application cannot attach tap0, device busy, the tap is already in use by another instance', 'https://github.com/RIOT-OS/Tutorials/issues/55'),
    ],
    cues: { busy: 1.5, 'in-use': 1, tap: 0.5, lock: 0.5 },
  },
  {
    id: 'helper-setuid',
    title: 'the privileged network helper (qemu-bridge-helper, GNS3 ubridge or UML uml_net) is missing or runs without root rights (not setuid, no cap_net_admin, a nosuid mount or a sandbox)',
    fix: 'Give the helper root rights: sudo chmod u+s /usr/lib/qemu/qemu-bridge-helper (Debian path; /usr/libexec/qemu-bridge-helper on Fedora) or sudo setcap cap_net_admin+ep on it (ubridge needs cap_net_admin,cap_net_raw); from a flatpak or snap, use the host\'s libvirt (qemu:///system). qnet fix helper-setuid.',
    checkIds: ['helper-setuid', 'helper-acl'],
    symptoms: [
      S('the script cannot find qemu-bridge-helper because the distribution installs it in another directory', 'https://github.com/cloudius-systems/osv/issues/707'),
      S('after a system upgrade the bridge helper lost its setuid bit', 'https://github.com/clearlinux/distribution/issues/2529'),
      S('as a normal user the bridge helper cannot create the tun device, operation not permitted', 'https://github.com/hatching/vmcloak/issues/196'),
      S('gns3 says ubridge needs root access or the capability to interact with network adapters', 'https://github.com/GNS3/ubridge/issues/57'),
      S('getcap on ubridge shows no capabilities and the cloud node cannot reach my tap', 'https://github.com/GNS3/gns3-gui/issues/2348'),
      S('libvirt says qemu-bridge-helper is not a suitable bridge helper on nixos', 'https://github.com/AshleyYakeley/NixVirt/issues/17'),
      S('virt-manager on nixos looks for the bridge helper under /usr/libexec where there is none, so the domain will not start', 'https://github.com/NixOS/nixpkgs/issues/34972'),
      S('qemu-kvm with a bridge netdev on nixos fails, the bridge helper lacks root rights and gets operation not permitted on tun', 'https://github.com/NixOS/nixpkgs/issues/311807'),
      S('quickemu bridged networking fails, the bridge helper gets operation not permitted opening the tun device', 'https://github.com/quickemu-project/quickemu/pull/1421'),
      S('gns3 cannot give ubridge its capabilities because the nix store is a read-only file system', 'https://github.com/NixOS/nixpkgs/issues/102536'),
      S('on alpine the qemu user cannot run qemu-bridge-helper, permission denied, because the helper is restricted to the qemu group and that user was not in it', 'https://github.com/jirutka/qemu-openrc/issues/25'),
    ],
    cues: { 'qemu-bridge-helper': 1, ubridge: 2, setuid: 2, setcap: 1.5, getcap: 1.5, suid: 1.5, 'uml_net': 2, capabl: 0.5 },
  },
  {
    id: 'helper-acl',
    title: '/etc/qemu/bridge.conf is missing, unreadable or does not allow the bridge, so qemu-bridge-helper refuses it',
    fix: 'Create /etc/qemu/bridge.conf (root-owned, mode 0644) with one "allow BRIDGE" line per bridge (e.g. allow virbr0); a deny rule wins over allow. qnet fix helper-acl writes it.',
    checkIds: ['helper-acl', 'helper-setuid'],
    symptoms: [
      S('running the unikernel with a bridge netdev gives access denied by the acl file', 'https://github.com/unikraft/docs/issues/182'),
      S('virt-manager cannot start the VM on the bridge: the helper fails to parse its default acl file', 'https://github.com/NixOS/nixpkgs/issues/111675'),
      S('on ubuntu /etc/qemu/bridge.conf is not found when the VM comes up on virbr0', 'https://github.com/virt-lightning/virt-lightning/issues/56'),
      S('vagrant up with a public network on br0 fails, the bridge helper answers access denied by the acl file', 'https://github.com/vagrant-libvirt/vagrant-libvirt/issues/380'),
      S('quickemu in bridged mode never shows the spice window; its log says /etc/qemu/bridge.conf could not be parsed', 'https://github.com/quickemu-project/quickemu/issues/1596'),
    ],
    cues: { 'bridge.conf': 2, acl: 2, allow: 1, 'qemu-bridge-helper': 0.5 },
  },
  {
    id: 'qemu-ifup',
    title: 'the tap up-script (/etc/qemu-ifup or script=) is missing, not executable, has no valid #! line, or a command in it failed',
    fix: 'Make /etc/qemu-ifup an executable #!/bin/sh script that attaches "$1" to an existing bridge with absolute paths (qnet fix qemu-ifup writes one), or pass script=no,downscript=no when the tap is set up beforehand.',
    checkIds: ['qemu-ifup'],
    symptoms: [
      S('no /etc/qemu-ifup file was installed so the guest tap network cannot come up', 'https://github.com/oscar-cluster/oscar/issues/485'),
      S('qemu says it could not launch the network script for tap0', 'https://github.com/GNS3/gns3-gui/issues/554'),
    ],
    cues: { 'qemu-ifup': 2.5, script: 1, ifup: 0.5 },
  },
  {
    id: 'bridge-missing',
    title: 'the bridge the VM is attached to does not exist or is not a Linux bridge (virbr0 exists only while libvirt\'s network is active; a NIC or bond named as bridge; a name typo)',
    fix: 'Start libvirt\'s network (sudo virsh net-start default && sudo virsh net-autostart default; define it first if it is missing), or create the bridge (nmcli, or a bridge stanza in /etc/network/interfaces.d), or fix the bridge name in the VM\'s configuration to one that exists (ip -br link show type bridge).',
    checkIds: ['bridge-state', 'ifname-mismatch', 'helper-acl'],
    symptoms: [
      S('vagrant up fails because the virbr0 interface does not exist on the host', 'https://github.com/vagrant-libvirt/vagrant-libvirt/issues/671'),
      S('virt-install says the br0 bridge has no MTU because no such device exists', 'https://github.com/Seitanas/kvm-vdi/issues/59'),
      S('the domain xml names br0 but my only bridge is virbr0', 'https://github.com/Seitanas/kvm-vdi/issues/81'),
      S('chose the physical nic enp3s0 as the bridge source in cockpit and the VM cannot start', 'https://github.com/cockpit-project/cockpit-machines/issues/543'),
      S('VM network set to bond0 which is not a bridge so libvirt cannot add the port', 'https://github.com/SpaceinvaderOne/Home_Assistant_inabox/issues/11'),
      S('virbr0 is missing after installing, the default network had to be defined and started', 'https://github.com/wubbl0rz/VmChamp/issues/3'),
      S('the default network is not active so the domain does not start, enable it in virt-manager', 'https://github.com/foxlet/macOS-Simple-KVM/issues/445'),
      S('windows VM script fails to get the network default', 'https://github.com/Fmstrat/winapps/issues/126'),
      S('container with bridge mode: the helper cannot get the mtu of br0', 'https://github.com/ennweb/docker-kvm/issues/12'),
      S('virsh start of the android guest fails because libvirt cannot read the MTU of br100, there is no such bridge on the host', 'https://github.com/JiYou/openstack/issues/6'),
      S('the qemu container on balena exits at once, the bridge helper finds no br0 to read its mtu from', 'https://github.com/balena-io-experimental/balena-virt/issues/2'),
      S('run.py with networking reports that virbr0 does not exist and setting stp fails with no such device', 'https://github.com/cloudius-systems/osv/issues/807'),
      S('oz-install gives up because it cannot find a usable libvirt NAT bridge on the host', 'https://github.com/clalancette/oz/issues/73'),
      S('starting a VM fails since the libvirt network it uses, called Production, is not active', 'https://github.com/ITDevLtd/MCVirt/issues/147'),
      S('adding a NAT node in GNS3 says the virbr0 interface is missing and asks me to install libvirt', 'https://github.com/GNS3/gns3-gui/issues/3790'),
      S('minikube with the kvm2 driver will not start: libvirt has no network named default', 'https://github.com/kubernetes/minikube/issues/17607'),
      S('minikube on a qemu:///session connection complains that the network default does not exist', 'https://github.com/kubernetes/minikube/issues/9190'),
    ],
    cues: { virbr0: 1.5, 'net-start': 2, default: 0.5, inact: 1.5, 'not-active': 2, mtu: 1, 'no-such-device': 1, exist: 0.5, bond0: 1 },
  },
  {
    id: 'bridge-wireless',
    title: 'a wireless interface cannot be a bridge port: 802.11 client mode carries only its own MAC address, so bridged guests get nothing',
    fix: 'Do not bridge Wi-Fi: use a NAT network (libvirt\'s default network, or a bridge of your own with MASQUERADE) or a routed setup; bridging needs a wired NIC (or 4-address/WDS mode the access point must support).',
    checkIds: ['bridge-state'],
    symptoms: [
      S('a vagrant VM with a public network never gets an address on the wireless network the laptop uses', 'https://github.com/vagrant-libvirt/vagrant-libvirt/issues/756'),
      S("the access point rejects frames from the VM's address when the VM is bridged onto wifi", 'https://github.com/virt-manager/virt-manager/issues/427'),
      S('cannot add wlan0 to the bridge, operation not supported', 'https://firestuff.org/2016-05-17-wifi-bridging-redux.html'),
      S('bridged my wireless card wlp2s0 with the tap and the guest only self-assigns an address', 'https://github.com/foxlet/macOS-Simple-KVM/issues/68'),
      S('I want my VMs on the LAN but the laptop only has wifi; the bridge over wireless does not work', 'https://firestuff.org/2016-05-17-wifi-bridging-redux.html'),
      S('the vagrant VM only gets a management address, never one from the wifi network my laptop is connected to', 'https://github.com/vagrant-libvirt/vagrant-libvirt/issues/760'),
      S('I want each VM on my LAN through the server wifi card wlp3s0, but picking it as the bridge source fails with operation not supported; only a wired NIC works', 'https://github.com/cockpit-project/cockpit-machines/issues/926'),
      S('attaching the laptop wlan0 to the guest bridge is refused; the access point only knows the host, so the wireless card has to be used through NAT instead', 'https://github.com/chyves/chyves/issues/14'),
    ],
    cues: { wireless: 3, '4addr': 2, laptop: 0.5 },
  },
  {
    id: 'bridge-uplink',
    title: 'the uplink moved into the bridge but its IP address, route or DHCP client stayed on the port (or the bridge has no carrier), so the host (and remote session) lost its network',
    fix: 'Move the address and default route from the port to the bridge (configure the bridge, set the port to manual/no IP) in one step with a console or a confirm-or-revert timer (nmcli/netplan try).',
    checkIds: ['bridge-state', 'nm-conflict'],
    symptoms: [
      S('the NIC was put into a new bridge that has no IP address, and now host and guests cannot reach each other', 'https://github.com/truenas/middleware/pull/5166'),
      S('right after adding eth0 to the bridge the machine lost its network and my ssh session dropped', 'https://github.com/impact-eintr/Docker-ECE/issues/7'),
      S('after enslaving the nic to br0 the host has no internet, the bridge and the port show different IPs', 'https://github.com/impact-eintr/Docker-ECE/issues/7'),
    ],
    cues: { ssh: 1, 'lost-connect': 2, enslav: 1.5, 'addif': 1, 'master': 0.5, remot: 1 },
  },
  {
    id: 'br-netfilter',
    title: 'bridged frames are passed to iptables (br_netfilter, often loaded by Docker) and the FORWARD rules drop them, so guests on a bridge get no traffic',
    fix: 'Stop filtering bridged frames: net.bridge.bridge-nf-call-iptables=0 (and ip6tables, arptables) in /etc/sysctl.d with a rule that reapplies it when br_netfilter loads, or allow the bridge in FORWARD (iptables -I DOCKER-USER -i br0 -o br0 -j ACCEPT). qnet fix br-netfilter.',
    checkIds: ['br-netfilter', 'forward-policy'],
    symptoms: [
      S('VMs on my bridge br0 get no IP and cannot reach the LAN even though the router sees their MAC address', 'https://github.com/cockpit-project/cockpit-machines/issues/1443'),
      S('after docker was installed no traffic passes through the existing host bridge to the guests', 'https://github.com/docker/docs/issues/7370'),
      S('the VM on the host bridge gets no DHCP answer and no traffic passes after upgrades; letting bridged frames through the FORWARD chain with a physdev is-bridged accept rule makes it work', 'https://github.com/ipaqmaster/vfio/issues/10'),
      S('guests attached to a linux bridge have incoming traffic blocked because their frames are handed to the host iptables rules; br_netfilter calls on bridges had to be switched off', 'https://github.com/csmart/ansible-role-virt-infra/pull/21'),
      S('traffic between lab nodes through the cloud node bridge is dropped once docker has loaded br_netfilter and bridged packets hit the host firewall rules', 'https://github.com/GNS3/gns3-vm/pull/200'),
      S('the VM run by a docker container on a macvlan over the host bridge answers the host, but LAN clients get connection refused on its ports until bridge-nf-call-iptables is set to 0', 'https://github.com/vdsm/virtual-dsm/issues/1152'),
    ],
    cues: { 'br_netfilter': 3, 'bridge-nf-call': 3, docker: 1, bridg: 0.5, lan: 0.5, arp: 1 },
  },
  {
    id: 'forward-policy',
    title: 'the firewall\'s FORWARD chain drops the VMs\' routed traffic (Docker sets the policy to DROP; firewalld/ufw do the same), so NAT guests reach the host but not the internet',
    fix: 'Accept forwarding for the VM networks: iptables -I DOCKER-USER -i virbr0 -j ACCEPT and -o virbr0 ... RELATED,ESTABLISHED (or a libvirt network hook, or firewalld\'s libvirt zone); or let Docker not manage iptables. qnet fix forward-policy.',
    checkIds: ['forward-policy', 'ip-forward', 'nat-masquerade'],
    symptoms: [
      S('since installing docker my libvirt guests on the default NAT network reach the host but not the internet', 'https://github.com/moby/moby/issues/52612'),
      S('docker flips the FORWARD policy to DROP and qemu NAT networking breaks', 'https://github.com/moby/moby/issues/39439'),
      S('minikube kvm2 VM cannot resolve DNS or pull images while the docker daemon runs on the host', 'https://github.com/kubernetes/minikube/pull/23593'),
      S('installing docker-ce made my existing KVM guests unusable', 'https://github.com/docker/for-linux/issues/949'),
      S('containers and KVMs unreachable because the FORWARD policy is DROP by default', 'https://github.com/Juniper/contrail-charms/issues/143'),
      S('guest resolves names but pings to the outside get no replies with docker on the same machine', 'https://dipankardas-portfolio.pages.dev/posts/blogs/networkcoexistence'),
      S('microk8s came with its own docker which rewrote iptables, and my KVM virtual network stopped forwarding until I accepted its device in the FORWARD chain by hand', 'https://github.com/canonical/microk8s/pull/267'),
      S('qemu guests reach the host but not the internet while ufw is active, a ufw rule allowing forwarding for the guests fixed it', 'https://github.com/CachyOS/wiki/pull/338'),
    ],
    cues: { docker: 2, forward: 1.5, drop: 1.5, 'docker-user': 2, internet: 0.5, nat: 0.5, firewalld: 0.5, ufw: 1 },
  },
  {
    id: 'ip-forward',
    title: 'IPv4 forwarding is off on the host, so a NAT or routed VM network cannot reach beyond the host',
    fix: 'Turn forwarding on and keep it: sysctl -w net.ipv4.ip_forward=1 and net.ipv4.ip_forward=1 in /etc/sysctl.d/ (qnet fix ip-forward).',
    checkIds: ['ip-forward', 'nat-masquerade'],
    symptoms: [
      S('a VM made with terraform on libvirt cannot reach the internet until IP forwarding is switched on on the host', 'https://github.com/ArmanTaheriGhaleTaki/terraform-libvirt-sample/issues/2'),
      S('the libvirt bridge for the cluster VMs passes nothing out of the host while the kernel does not forward IPv4', 'https://github.com/openshift/installer/pull/512'),
      S('the NAT rules are installed but the host does not forward packets between its interfaces, so guests cannot connect out', 'https://github.com/cybozu-go/placemat/pull/56'),
      S('with a NAT network for the KVM guests and ip forwarding left at 0 on the host, the cluster VMs cannot reach any outside service', 'https://github.com/IBM/Ansible-OpenShift-Provisioning/pull/77'),
      S('the lab VMs on a cloud server reach nothing past the host over IPv4 while their IPv6 gets through: only IPv6 forwarding had been switched on, the IPv4 sysctl was still 0', 'https://github.com/becomingahacker/cloud-cml/issues/11'),
    ],
    cues: { 'ip_forward': 3, forward: 1, sysctl: 1, rout: 0.5, 'packet-forward': 2.5, ipv4: 1.5 },
  },
  {
    id: 'nat-masquerade',
    title: 'the VM subnet has no MASQUERADE/SNAT rule to the uplink (or the tool could not add one), so replies never come back',
    fix: 'Add masquerading for the VM subnet: iptables -t nat -A POSTROUTING -s SUBNET ! -d SUBNET -j MASQUERADE (or IPMasquerade= with a networkd built with iptables/nft support). qnet fix nat-masquerade.',
    checkIds: ['nat-masquerade', 'ip-forward'],
    symptoms: [
      S('host and guest ping each other but the guest cannot reach the LAN router or the internet; its private subnet is neither NATed nor routed back', 'https://github.com/cloud-hypervisor/cloud-hypervisor/issues/4881'),
      S('the microVMs could not reach the internet until masquerading and forwarding rules for their taps were added on the host when each tap is created', 'https://github.com/vhive-serverless/vHive/pull/117'),
    ],
    cues: { masquerad: 3, snat: 2, postrout: 2, nat: 1 },
  },
  {
    id: 'libvirt-firewall',
    title: 'libvirt could not set up (or lost) its firewall rules: iptables-legacy and nftables mixed, a firewall reload or restart removed its chains, no usable firewall backend, or IPv6 disabled in the kernel',
    fix: 'Use one firewall backend (libvirt ≥ 10.4: firewall_backend = "nftables" in network.conf; older: iptables-nft alternatives, or install firewalld), restart libvirtd after firewall reloads (virsh net-destroy/net-start default), and do not disable IPv6 with ipv6.disable=1 when libvirt networks use ip6tables.',
    checkIds: ['nat-masquerade', 'forward-policy'],
    symptoms: [
      S('restarting firewalld drops the rules libvirt added and the default network or its VMs stop working until libvirtd restarts', 'https://github.com/metal3-io/metal3-dev-env/pull/141'),
      S('with the nftables backend of firewalld guests on the libvirt NAT network get no DHCP address', 'https://github.com/autotest/tp-libvirt/pull/1931'),
      S('when the nftables service restarts the rules libvirt added vanish and the VMs lose their network', 'https://github.com/cirrax/puppet-libvirt/pull/81'),
      S('since enabling nftables on the host the libvirt VMs have no internet', 'https://github.com/NixOS/nixpkgs/issues/416031'),
      S('my own nftables ruleset interferes with the rules libvirt inserts for the NAT network', 'https://dl1ye.com/posts/guest-networking-with-libvirt-qemu-nftables-and-systemd-networkd'),
      S('the default network cannot start: iptables nf_tables chain add fails for INPUT', 'https://github.com/retspen/webvirtcloud/issues/233'),
      S('with ipv6 disabled on the kernel command line vagrant-libvirt cannot activate the network', 'https://github.com/vagrant-libvirt/vagrant-libvirt/issues/834'),
      S('starting the default network fails: no valid firewall backend until firewalld was installed', 'https://cloud-atlas.readthedocs.io/zh_CN/latest/kvm/libvirt/network/libvirt_nat_network.html'),
      S('under WSL2 the libvirt network does not start, iptables with the nf_tables backend cannot add the LIBVIRT_PRT chain', 'https://github.com/microsoft/WSL/issues/10281'),
      S('on bluefin virt-manager cannot create a new VM, the default network never becomes active because its firewall rules fail', 'https://github.com/projectbluefin/dakota/issues/1634'),
      S('restarting the ostestbm network fails: libvirt cannot insert into its LIBVIRT_INP chain, no chain by that name', 'https://github.com/openshift-metal3/dev-scripts/pull/1170'),
      S('once firewalld has been restarted the default libvirt network cannot be started again until libvirtd restarts too', 'https://github.com/cockpit-project/cockpit/pull/13723'),
      S('with the nftables backend of firewalld guests on libvirt NAT networks get no DNS or DHCP although dnsmasq listens on virbr0', 'https://github.com/firewalld/firewalld/issues/397'),
      S('on cachyos libvirt guests get no IP address and no internet until libvirt is told to use iptables as its firewall backend', 'https://github.com/CachyOS/wiki/pull/344'),
      S('the default network is started and autostarted, yet every guest stays without an IP address and without internet; swapping ufw for firewalld made it work', 'https://github.com/virt-manager/virt-manager/issues/980'),
      S('NAT guests lost internet right after a host change (first blamed on the kernel): the guest network never leaves configuring and no address appears for the NIC; a newer libvirt working against ufw was the reason', 'https://github.com/zen-kernel/zen-kernel/issues/351'),
    ],
    cues: { nftables: 2, iptables: 1, 'nf_tables': 2, firewall: 1.5, 'libvirt_': 1.5, backend: 1, 'chain_add': 2, ip6tables: 1.5, firewalld: 1, ufw: 1, nat: 1, 'no-ip': 1 },
  },
  {
    id: 'libvirt-net-clash',
    title: 'libvirt\'s network collides with something that exists: its subnet is already routed through another interface (a LAN or VPN on 192.168.122.0/24, nested libvirt) or its bridge name is taken',
    fix: 'Give the libvirt network another subnet (virsh net-edit default: e.g. 192.168.123.0/24) or bridge name, then virsh net-start; inside a VM that is itself on 192.168.122.0/24 this is the usual cause.',
    checkIds: ['bridge-state'],
    symptoms: [
      S('vagrant defines its management network with a name or subnet that an existing libvirt network already uses', 'https://github.com/purpleidea/oh-my-vagrant/pull/62'),
      S('nested virtualization: the outer VM already sits on 192.168.122.0/24 so the inner default network collides', 'https://github.com/openshift/assisted-test-infra/pull/1600'),
      S('newly created virtual networks overlap existing libvirt networks and some interfaces stop working', 'https://github.com/SUSE-Cloud/automation/issues/2484'),
      S('the new libvirt network cannot start because another bridge already uses its address range', 'https://github.com/rgouveia-redhat/ocp-libvirt-upi/issues/14'),
      S('vagrant-kvm cannot create its network because the address range is already used by virbr1', 'https://github.com/adrahon/vagrant-kvm/issues/16'),
      S('vagrant-libvirt cannot activate its network, virtualbox vboxnet0 already holds that subnet', 'https://github.com/vagrant-libvirt/vagrant-libvirt/issues/617'),
      S('vagrant up fails to activate the management network because libvirt wants to create bridge virbr1 and a bridge of that name already exists on the host', 'https://github.com/vagrant-libvirt/vagrant-libvirt/issues/1204'),
      S('the kvm driver of minishift gives up before creating its VM: the private network it defines is reported as taken by the host ethernet port, whose LAN address lies in the same 192.168.42.0/24 range', 'https://github.com/minishift/minishift/issues/1469'),
    ],
    cues: { 'already-in-use': 2, 'in-use-by-interface': 3, subnet: 1, nested: 1.5, '192.168.122': 1, overlap: 2, collid: 1.5 },
  },
  {
    id: 'dnsmasq-clash',
    title: 'another DNS/DHCP server (a system-wide dnsmasq, systemd-resolved or bind) already listens on port 53/67 on all addresses, so the VM network\'s dnsmasq cannot start',
    fix: 'Make the other server bind only to its own interfaces (dnsmasq: bind-interfaces or bind-dynamic with except-interface=virbr0), or stop it; then restart the VM network.',
    checkIds: [],
    symptoms: [
      S('on hosts that also run a system dnsmasq, the private dnsmasq libvirt starts for its virtual network clashes with it because the system one binds the wildcard address', 'https://listman.redhat.com/archives/libvir-list/2010-February/021464.html'),
      S('virsh net-start fails on the cloud host because the distribution dnsmasq service already holds port 53 on every address, which libvirt needs for its own dnsmasq', 'https://github.com/SUSE-Cloud/automation/pull/1710'),
    ],
    cues: { dnsmasq: 2, 'port-53': 2, 'address-in-use': 1.5, resolv: 1 },
  },
  {
    id: 'vhost-net',
    title: 'vhost was asked for (vhost=on or libvirt\'s default) but /dev/vhost-net is missing (vhost_net not loaded or not built) or not usable by the user running QEMU',
    fix: 'sudo modprobe vhost_net (and load it at boot), let the user open /dev/vhost-net (group kvm, mode 0660), or drop vhost=on / use <driver name=\'qemu\'/>.',
    checkIds: ['vhost-net'],
    symptoms: [
      S('the vhost_net module is not loaded by default on the host, guest networking is slow', 'https://github.com/rcbops/chef-cookbooks/issues/846'),
      S('the lxd VM would not start until /dev/vhost-net was made accessible; qemu 7.2 aborts after the vhost warning', 'https://github.com/canonical/lxd/issues/11482'),
      S('vhost_net is not listed by lsmod and the guest network is slow or fails to start with vhost', 'https://github.com/canonical/lxd/pull/11594'),
      S('the kata pod does not start, opening /dev/vhost-net for the eth0 vhost fds fails with no such file; loading the vhost modules was the suggestion', 'https://github.com/kata-containers/kata-containers/issues/6451'),
    ],
    cues: { vhost: 3, 'vhost_net': 3, lsmod: 0.5 },
  },
  {
    id: 'kvm',
    title: '/dev/kvm is missing or not usable by the user running QEMU (not in group kvm, virtualisation off, module not loaded, or no nested virtualisation)',
    fix: 'Add the user to group kvm and log in again (sudo usermod -aG kvm $USER), make sure /dev/kvm is root:kvm 0660, enable VT-x/AMD-V (or nested virtualisation) and load kvm_intel/kvm_amd; without it run with -accel tcg. qnet fix kvm.',
    checkIds: ['kvm'],
    symptoms: [
      S('qemu cannot access the kvm kernel module, permission denied, unless started with sudo', 'https://github.com/qword-os/qword/issues/50'),
      S('kvm acceleration fails with permission denied on /dev/kvm; adding the user to the kvm group fixed it', 'https://github.com/foxlet/macOS-Simple-KVM/issues/125'),
      S('the router VM inside a container cannot start, permission denied on the kvm kernel module, and chmod on /dev/kvm is not allowed there', 'https://github.com/networkop/docker-topo/pull/25'),
      S('virt-manager on void linux cannot create a domain, qemu could not access the kvm module: permission denied', 'https://github.com/voidlinux/void-packages/issues/1095'),
      S('running the macOS script inside an ubuntu VM fails because /dev/kvm does not exist there, no nested virtualization', 'https://github.com/foxlet/macOS-Simple-KVM/issues/404'),
      S('the start script stops with permission denied on the kvm module although SVM is on in the BIOS; the answer was to add my user to the kvm group and make sure kvm_amd is loaded', 'https://github.com/foxlet/macOS-Simple-KVM/issues/191'),
      S('a nomad job with the qemu driver and kvm acceleration fails with permission denied on the kvm module while the same qemu command works by hand; the task user could not open /dev/kvm', 'https://github.com/hashicorp/nomad/issues/650'),
    ],
    cues: { kvm: 1, 'devkvm': 3, 'kvm-group': 2, vt: 1, nest: 1 },
  },
  {
    id: 'duplicate-identity',
    title: 'two VMs share an identity: the same MAC address (cloned VMs, QEMU\'s default 52:54:00:12:34:56) or the same DHCP client id (a cloned /etc/machine-id), so they get the same IP or fight over it',
    fix: 'Give every VM its own MAC (-device …,mac=52:54:00:xx:xx:xx; regenerate on clone) and an empty /etc/machine-id in templates (systemd-machine-id-setup on first boot).',
    checkIds: ['mac-duplicate'],
    symptoms: [
      S('several VMs started from the same config get the same MAC address and therefore the same IP', 'https://github.com/quickemu-project/quickemu/issues/1667'),
      S('two vagrant-libvirt environments always end up with the same management IP; the base box kept its machine-id', 'https://github.com/vagrant-libvirt/vagrant-libvirt/issues/913'),
      S('every box made from my custom image gets the same ip address on the management network', 'https://github.com/vagrant-libvirt/vagrant-libvirt/issues/1737'),
      S('the bridge logs that it received a packet with its own address: a MAC conflict from a VM or container', 'https://github.com/coolsnowwolf/lede/issues/3018'),
      S('all my cloned VMs get the same IP address from DHCP', 'https://github.com/vagrant-libvirt/vagrant-libvirt/issues/913'),
      S('two multipass VMs come up with the same MAC address 52:54:00:12:34:56', 'https://github.com/canonical/multipass/issues/28'),
      S('when two users start the same lab both VMs get the same generated MAC address', 'https://github.com/remotelabz/remotelabz/issues/568'),
      S('bringing up a second arch box on libvirt kicks the first one off the network and my ssh session to it closes; both send the same DHCP client id from the machine-id baked into the box', 'https://github.com/archlinux/arch-boxes/issues/25'),
      S('several instances of the same box image are handed one and the same IP by DHCP because the image ships its /etc/machine-id', 'https://github.com/lavabit/robox/issues/5'),
      S('every VM deployed from the template receives the same DHCP address even with different MACs, the template keeps a filled /etc/machine-id', 'https://github.com/vmware-archive/photon-packer-templates/issues/22'),
      S('VMs made from the newer ubuntu box all inherit one machine-id and get the same DHCP lease on libvirt and virtualbox alike', 'https://github.com/chef/bento/issues/1421'),
      S('each new VM from the ubuntu image gets the IP of the previous one although its MAC differs; networkd derives the DHCP id from the cloned machine-id', 'https://github.com/josenk/terraform-provider-esxi/issues/54'),
    ],
    cues: { 'machine-id': 3, clone: 2, 'same-ip': 2.5, 'same-mac': 3, 'defaultmac': 3, duplic: 2, 'own-address': 2 },
  },
  {
    id: 'guest-ifname',
    title: 'inside the guest, the network config names an interface that does not exist: the NIC got a predictable name (ens3, enp0s3, enX0) instead of eth0, or the name changed after an upgrade or a move',
    fix: 'Inside the guest: use the real name (ip -br link) in /etc/network/interfaces, netplan or the static config, match by MAC address, or boot with net.ifnames=0 to get eth0 back.',
    checkIds: ['guest-ifname', 'ifname-mismatch'],
    symptoms: [
      S('the VM image configures eth0 but the kernel names the NIC differently, so the guest network never comes up and ssh fails', 'https://github.com/google/syzkaller/issues/2329'),
      S('after updating the OS inside the VM the ethernet device has a new name and the network does not come up', 'https://github.com/home-assistant/operating-system/issues/2174'),
      S('in qemu VMs enp0s3 became ens3 after the upgrade and the static network config broke', 'https://github.com/NixOS/nixpkgs/issues/29197'),
      S('udev renamed eth0 to ens3 and my guest network config for eth0 no longer applies', 'https://github.com/coreos/docs/pull/125'),
      S('after a systemd upgrade in the VM eth0 is gone and networking fails', 'https://github.com/systemd/systemd/pull/1119'),
      S('the imported VM fails to bring up its interfaces at boot, there is no eth0 because the NIC is called enp0s17', 'https://github.com/orlikoski/Skadi/issues/4'),
      S('I cannot reach the qemu VM: ifup at boot fails since the nic name is not the same from one boot to the next', 'https://github.com/google/syzkaller/issues/2651'),
      S('following the setup guide the VM fails to raise its network interfaces, the image expects eth0 but the kernel picks a predictable name', 'https://github.com/google/syzkaller/pull/2647'),
      S('a debian 11 VM booted with my own kernel config is offline, the image configures eth0 and the interface got renamed', 'https://github.com/google/syzkaller/pull/3246'),
      S('after upgrading the guest system the network interface of the VM is called ens192 instead of eno16780032, so fixed addresses set for the old name stop working', 'https://github.com/coreos/bugs/issues/1462'),
      S('after installing inside the VM my static address is gone: the config names ens192 but the system now brings up eth0 with a DHCP address', 'https://github.com/telekom-security/tpotce/issues/1073'),
    ],
    cues: { renam: 2, ens3: 2, enp0s3: 2, 'eth0': 1, 'net.ifnames': 3, predict: 2, interfac: 0.5, guest: 0.5 },
  },
  {
    id: 'guest-dhcp',
    title: 'the guest got no DHCP answer and fell back to a 169.254 link-local address (or none): nothing on its tap/bridge serves DHCP, or the host drops the frames',
    fix: 'On the host: the tap must be on a bridge with a DHCP server (libvirt\'s dnsmasq or the LAN), the bridge must be up and wired, and frames must not be dropped (br_netfilter, FORWARD DROP). Inside the guest: the interface name must match its config.',
    checkIds: ['guest-dhcp', 'bridge-state', 'br-netfilter', 'forward-policy'],
    symptoms: [
      S('the qemuarm image boots without an IP address: runqemu gives the tap a static address and runs no DHCP server on it, while the image waits for a DHCP lease', 'https://github.com/openbmc/openbmc/issues/3694'),
    ],
    cues: { '169.254': 3, dhcp: 2, 'self-assign': 3, 'link-local': 3, lease: 1, 'no-ip': 1.5 },
  },
  {
    id: 'guest-route',
    title: 'the guest has an address but no default route (or its gateway does not answer), so only its own subnet is reachable',
    fix: 'Inside the guest: add the gateway (ip route add default via GATEWAY) or fix the static config; check that the gateway address exists on the host bridge.',
    checkIds: ['guest-route', 'guest-dhcp'],
    symptoms: [
      S('the guest image in qemu has no working network: its built-in address and gateway do not match the network qemu provides', 'https://github.com/keystone-enclave/keystone/issues/32'),
    ],
    cues: { gateway: 2, 'default-route': 2.5, unreach: 1.5 },
  },
  {
    id: 'ifname-mismatch',
    title: 'the host\'s network config names an interface that no longer exists (NIC renamed after a kernel, firmware or slot change), so the bridge comes up without its uplink',
    fix: 'Put the real NIC name (ip -br link) into the bridge\'s ports in /etc/network/interfaces, netplan or NetworkManager, and pin names by MAC (systemd .link files) so they stop changing.',
    checkIds: ['ifname-mismatch', 'bridge-state'],
    symptoms: [
      S('moved an NVMe to another slot and the proxmox host lost internet: vmbr0 names a port that is gone, the NIC has a new name', 'https://hexie.dev/bridge-with-no-slave/'),
      S('after boot all network was down because the device names changed and the bridge config kept the old one', 'https://hexie.dev/bridge-with-no-slave/'),
      S('after scheduled maintenance of the proxmox host the VM would not start: the NIC now showed up as enp5s0 instead of enp4s0 and the host bridge still pointed at the old name; pinning the name to the MAC fixed it', 'https://guatulabs-dev.pages.dev/posts/pcie-device-passthrough-nic-name-instability-and-mac-pinning/'),
    ],
    cues: { vmbr0: 1, 'bridge-ports': 2, renam: 1.5, proxmox: 1, slot: 1.5, 'no-slave': 2 },
  },
  {
    id: 'nm-conflict',
    title: 'NetworkManager has competing profiles for the device (the auto-created "Wired connection" and the bridge port), is not running, or fights another manager over it',
    fix: 'Keep one profile per device: delete the auto-created one (nmcli con delete "Wired connection 1"), activate the bridge port profile; do not let ifupdown/networkd and NetworkManager both manage it.',
    checkIds: ['nm-conflict'],
    symptoms: [
      S('the bridge for the VMs stays without a connection because the old NetworkManager profile still owns the ethernet port', 'https://22.frenchintelligence.org/2025/06/30/bridged-networking-on-fedora-workstation-for-virtual-machines'),
      S('creating a bridged VLAN network for the VMs fails with master connection not found while NetworkManager runs; marking the bridge NM_CONTROLLED=no or stopping NetworkManager lets it come up', 'https://github.com/kimchi-project/kimchi/issues/619'),
      S('after disconnecting and reconnecting the bridge in the KDE network applet it comes up empty, the ethernet port profile stays down until I activate it with nmcli by hand', 'https://github.com/void-linux/void-packages/issues/59772'),
    ],
    cues: { networkmanager: 2, nmcli: 2, profil: 1.5, 'wired-connection': 2 },
  },
  {
    id: 'netplan-duplicates',
    title: 'the same interface is defined in more than one netplan file, so one definition silently wins',
    fix: 'Keep each interface in one file under /etc/netplan (remove the cloud-init or installer leftover), then netplan try.',
    checkIds: ['netplan-duplicates'],
    symptoms: [
      S('creating a second bridge on the same interface leaves a conflicting file in /etc/netplan and netplan apply fails from then on', 'https://github.com/Aerodisk/openvair/issues/260'),
    ],
    cues: { netplan: 3, yaml: 1 },
  },
  {
    id: 'hostfwd-port',
    title: 'the host port in hostfwd= cannot be bound: something already listens on it (another VM, a previous run, a service) or it is below 1024 for a normal user',
    fix: 'Pick a free host port above 1024 (ss -ltnp shows the used ones) or stop what holds it; qnet lint -- YOUR COMMAND checks every hostfwd port.',
    checkIds: ['hostfwd-port'],
    symptoms: [
      S('forwarding a udp port below 1024 from the host fails unless run with sudo', 'https://github.com/openbmc/docs/issues/60'),
      S('another VM was still running with the same forwarded ssh port', 'https://github.com/SerenityOS/serenity/issues/15181'),
      S('something else was listening on port 9000 so the forward could not be set up', 'https://github.com/runtimejs/runtime/issues/138'),
      S('a selenium server was already listening on the port I forwarded', 'https://github.com/aerokube/windows-images/issues/18'),
      S('the VM in termux does not boot because the forward of host port 9000 to the guest cannot be set up', 'https://github.com/Zeioth/termux-docker/issues/2'),
      S('the test VM refuses to start since the ssh forward on host port 2222 cannot be created, the port is taken', 'https://github.com/Zakkaus/gentoo-install/pull/504'),
      S('the VM dies right after preparation because forwarding host port 22 to the guest ssh fails', 'https://github.com/ALSchwalm/transient/issues/91'),
    ],
    cues: { hostfwd: 2.5, 'port-forward': 2, listen: 1, port: 1, ssh: 0.5 },
  },
  {
    id: 'qemu-cmdline',
    title: 'the QEMU command line uses an option this QEMU does not accept (removed vlan=, -nic on an old QEMU, a malformed hostfwd, a netdev without a device)',
    fix: 'Use -netdev TYPE,id=n0,… with -device virtio-net-pci,netdev=n0 (or -nic on QEMU ≥ 2.12); qnet lint -- YOUR COMMAND points at the option.',
    checkIds: ['qemu-cmdline'],
    symptoms: [
      S('starting the VM from the GUI prints that the vlan option of -net nic is deprecated and that netdev should be used instead', 'https://github.com/tobimensch/aqemu/issues/44'),
      S('after overriding the qemu arguments the windows build VM has no network at all and winrm never connects; qemu warns that the user netdev has no peer', 'https://github.com/hashicorp/packer/issues/6804'),
      S('following the instructions the guest cannot talk to the outside network, the device option lacked its netdev= link to the backend', 'https://github.com/OverC/meta-overc/pull/118'),
      S('every VM I start fails at once, qemu-system-ppc64 says -nic is an invalid option on linux mint 19', 'https://github.com/nongiach/arm_now/issues/48'),
      S('with the qemu 2.11 from ubuntu 18.04 the tool cannot start a VM, the -nic option does not exist in that version', 'https://github.com/nongiach/arm_now/issues/37'),
      S('the machine driver passed vlan=0 to -net which newer qemu no longer accepts, so the VM did not start until the network options were rewritten', 'https://github.com/machine-drivers/docker-machine-driver-qemu/pull/10'),
      S('with qemu 3.1 the VMs no longer start because the legacy -net syntax the tool generated was dropped; it now emits -netdev', 'https://github.com/virtualsquare/virtualbricks/pull/5'),
      S('the windows box does not start because qemu rejects one of my hostfwd rules as having a bad host port; the rule was written with a colon where qemu expects a dash', 'https://github.com/ppggff/vagrant-qemu/issues/39'),
    ],
    cues: { 'invalid-option': 2, vlan: 1.5, '-net': 1, deprec: 1 },
  },
  {
    id: 'qemu-netdev',
    title: 'this QEMU binary lacks the network backend or a library it needs: since 7.2 -netdev user needs libslirp at build time; a half-installed package misses libslirp.so',
    fix: "Install your distribution's full QEMU package (qemu-system-x86 on Debian/Ubuntu, built with libslirp) or install libslirp-dev and rebuild QEMU; check with qemu-system-x86_64 -netdev help.",
    checkIds: ['qemu-netdev'],
    symptoms: [
      S('a self-built qemu refuses -netdev user because the user backend is not compiled in; installing libslirp-dev and rebuilding fixed it', 'https://github.com/OP-TEE/optee_os/issues/5869'),
      S('user networking missing from the qemu build for the test suite, libslirp was not installed', 'https://github.com/intel/rv-brs-test-suite/issues/6'),
      S('the qemu built by the SEV scripts rejects -netdev user with hostfwd: the user backend is not compiled into this binary', 'https://github.com/AMDESE/AMDSEV/issues/214'),
      S('the aarch64 qemu built by the optee makefiles says network backend user is not compiled in', 'https://github.com/OP-TEE/build/issues/628'),
    ],
    cues: { libslirp: 3, slirp: 2, compil: 1, build: 0.5, configur: 0.5 },
  },
];

export const CAUSE_BY_ID: ReadonlyMap<CauseId, Cause> = new Map(CAUSES.map((c) => [c.id, c]));

export function causeOf(id: CauseId): Cause {
  const c = CAUSE_BY_ID.get(id);
  if (!c) throw new Error(`unknown cause ${id}`);
  return c;
}
