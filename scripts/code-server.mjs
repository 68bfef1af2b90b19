// How Model Optimizer starts code-server, shared by `npm run sandbox` and the e2e tests so the
// sandbox a person tries is started exactly like the one the tests prove.

/**
 * Creates `<dir>/user-data/User`, `<dir>/extensions` and `<dir>/config.yaml` (without its own
 * config file code-server writes under ~/.config). Returns the folders and the arguments that
 * point code-server at them (for --install-extension and for serving).
 * @param {typeof import('node:fs')} fs
 * @param {typeof import('node:path')} path
 */
export function codeServerLayout(fs, path, dir, port) {
  const userDataDir = path.join(dir, 'user-data');
  const extensionsDir = path.join(dir, 'extensions');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  const config = path.join(dir, 'config.yaml');
  fs.writeFileSync(config, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  return { userDataDir, extensionsDir, dirArgs: ['--config', config, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir] };
}

/**
 * Arguments to serve the workbench on loopback only (webviews need crypto.subtle, which a LAN
 * address lacks), offline, without first-run pages.
 */
export function codeServerServeArgs(port, dirArgs, { disableTrust = false } = {}) {
  return [
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    ...dirArgs,
    ...(disableTrust ? ['--disable-workspace-trust'] : []),
  ];
}
