// nm-conflict's and netplan-duplicates' tables of cases are in checks/nm-conflict.ts and checks/netplan-duplicates.ts.
import { describe, expect, it } from 'vitest';
import nmConflict, { nmHost as nm } from '../../checks/nm-conflict.js';
import { fakeHost, runCheck } from '../helpers/fake-host.js';

const NMDIR = '/etc/NetworkManager/system-connections';
const SLAVE = '[connection]\nid=bridge-slave-enx00e04c680001\nuuid=1111\ntype=ethernet\ninterface-name=enx00e04c680001\ncontroller=brnm0\nport-type=bridge\n';

describe('nm-conflict', () => {
  it('seed 004: "Wired connection 4" competes with the bridge port profile', async () => {
    const out = 'brnm0:2222:bridge:brnm0:yes:yes\nbridge-slave-enx00e04c680001:1111:802-3-ethernet::yes:no\nWired connection 4:4444:802-3-ethernet:enx00e04c680001:yes:yes\n';
    const r = await runCheck(nmConflict, fakeHost(nm({ 'slave.nmconnection': SLAVE }, { stdout: out })));
    expect(r.status).toBe('fail');
    expect(r.summary).toContain('enx00e04c680001 has 2 profiles that connect automatically');
    expect(r.fixes[0]!.preview.join('\n')).toContain('nmcli connection delete 4444');
  });
  it('the loser saved as a keyfile is removed as a file (kept by the journal) and NetworkManager reloaded: a plan undo can revert', async () => {
    const out = 'brnm0:2222:bridge:brnm0:yes:yes\nbridge-slave-enx00e04c680001:1111:802-3-ethernet::yes:no\nWired connection 4:4444:802-3-ethernet:enx00e04c680001:yes:yes\n';
    const spec = nm({ 'slave.nmconnection': SLAVE, 'Wired connection 4.nmconnection': '[connection]\nid=Wired connection 4\nuuid=4444\ntype=ethernet\n' }, { stdout: out });
    const r = await runCheck(nmConflict, fakeHost(spec));
    expect(r.status).toBe('fail');
    const preview = r.fixes[0]!.preview.join('\n');
    expect(preview).toContain(`rm '${NMDIR}/Wired connection 4.nmconnection'    # kept in the journal: undo puts it back`);
    expect(preview).toContain('nmcli connection reload');
    expect(preview).not.toContain('cannot be undone');
    expect(preview).not.toContain('nmcli connection delete');
  });
  it('a loser NetworkManager keeps only in memory can only be deleted: the plan says it cannot be undone', async () => {
    const out = 'brnm0:2222:bridge:brnm0:yes:yes\nbridge-slave-enx00e04c680001:1111:802-3-ethernet::yes:no\nWired connection 4:4444:802-3-ethernet:enx00e04c680001:yes:yes\n';
    const r = await runCheck(nmConflict, fakeHost(nm({ 'slave.nmconnection': SLAVE }, { stdout: out })));
    expect(r.fixes[0]!.preview).toContain('# cannot be undone by qnet undo: nmcli connection delete 4444 has no inverse');
  });
});
