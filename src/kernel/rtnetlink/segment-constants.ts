// The mark on addresses the segments part adds (a managed group's router address, an assigned
// public address): IFA_PROTO 85 ('U'). Not RTPROT_STOCKADE (83), so `net apply` never deletes
// them as "owned and not in the config", and the segments part deletes only what carries this
// mark. Not in iproute2's rt_protos list.
export const RTPROT_STOCKADE_SEGMENTS = 85;
