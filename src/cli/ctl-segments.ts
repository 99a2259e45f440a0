// `stockade ctl segments`: groups, hosts with MAC/IP and lease state, DHCP servers, the public
// address map (names come from the config: each line made safe for the terminal).
import { statusCommand } from './ctl-status.ts';
import { terminalSafe } from '../config/index.ts';
import { formatSegments, type SegmentsView } from '../segments/index.ts';

export const ctlSegments = statusCommand<SegmentsView>('segments', 'segments.status', "the daemon's segments: groups, hosts with MAC/IP and lease state, DHCP servers, public address map",
  (v) => formatSegments(v).split('\n').map(terminalSafe).join('\n'));
