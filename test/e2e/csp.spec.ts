// The built app's Content-Security-Policy (issue 13, src/core/security/csp.ts): `vite preview` sends it with
// nosniff; the app starts under it with no violation (workers, wasm, styles), and a fetch to a host that is
// not a model source is refused by the browser. The clip and models specs run their full flows under it.
import { expect, test } from '@playwright/test';
import { openApp } from './helpers';

test('preview serves the CSP and nosniff; the app starts with no CSP violation', async ({ page }) => {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  const response = await page.request.get('/');
  const csp = response.headers()['content-security-policy'] ?? '';
  expect(response.headers()['x-content-type-options']).toBe('nosniff');
  expect(csp).toContain("default-src 'self'");
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(csp).not.toMatch(/'unsafe-eval'/);
  expect(csp).toMatch(
    /connect-src 'self' blob: data: https:\/\/huggingface\.co https:\/\/\*\.huggingface\.co https:\/\/\*\.hf\.co/,
  );
  // playwright.config.ts adds the tests' model host through VIDEOGRAIN_MODEL_ORIGINS
  expect(csp).toContain('http://models.test');
  expect(csp).toContain("object-src 'none'");

  await openApp(page);
  await expect(page.getByTestId('engine-status')).toBeVisible();
  // A host that is no model source is blocked by the policy, not by the network.
  const blocked = await page.evaluate(async () => {
    try {
      await fetch('https://evil.example/x');
      return 'fetched';
    } catch (e) {
      return (e as Error).name;
    }
  });
  expect(blocked).toBe('TypeError');
  expect(violations.some((v) => v.includes('evil.example'))).toBe(true);
  expect(violations.filter((v) => !v.includes('evil.example'))).toEqual([]);
});
