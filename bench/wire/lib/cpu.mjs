// CPU used by the server under test and by the load generator during a measured run, as a fraction of
// one core: on a 2-core machine the two compete, and these show who had the cores. Linux only (the
// server's figure comes from /proc); elsewhere the server's share is null.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond;
function clockTicks() {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** User + system CPU seconds of a process, or null when /proc cannot tell. */
export function processCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return null;
  }
}

/** Starts sampling; stop() returns {server, loadGenerator} as fractions of one core. */
export function cpuSampler({ serverPid } = {}) {
  const t0 = performance.now();
  const s0 = serverPid ? processCpuSeconds(serverPid) : null;
  const l0 = process.cpuUsage();
  return {
    stop() {
      const wall = (performance.now() - t0) / 1000;
      const s1 = serverPid ? processCpuSeconds(serverPid) : null;
      const l = process.cpuUsage(l0);
      return {
        server: s0 !== null && s1 !== null && wall > 0 ? (s1 - s0) / wall : null,
        loadGenerator: wall > 0 ? (l.user + l.system) / 1e6 / wall : null,
      };
    },
  };
}

/**
 * The server's CPU microseconds per unit of work (a check, or a request): unlike throughput, it barely
 * depends on how many cores other tenants leave the run, so it compares Warden with its floor even on a
 * busy machine.
 */
export function cpuPerUnit(cpu, elapsedS, units) {
  return cpu?.server != null && units > 0 ? (cpu.server * elapsedS * 1e6) / units : null;
}
