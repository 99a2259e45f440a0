// Writing a file inside a VM through its serial console (base64 in console-sized lines), for the
// benchmarks that boot the appliance.
import type { Vm } from '../image/vm.ts';

export async function putFile(vm: Vm, path: string, text: string): Promise<void> {
  const b64 = Buffer.from(text).toString('base64');
  await vm.run(`rm -f ${path}.b64`);
  // The console takes lines of up to 4095 characters.
  for (let i = 0; i < b64.length; i += 2000) await vm.run(`printf '%s' '${b64.slice(i, i + 2000)}' >> ${path}.b64`);
  const r = await vm.run(`base64 -d ${path}.b64 > ${path} && rm ${path}.b64`);
  if (r.code !== 0) throw new Error(`writing ${path} failed: ${r.output}`);
}
