import { type ReactNode, useEffect, useState } from 'react';
import { onUnauthorized } from './api/client.js';
import { TokenPrompt } from './components/TokenPrompt.js';
import { bumpAuthEpoch } from './lib/auth.js';
import { Link, navigate, useLocation } from './lib/router.js';
import { AiPage } from './pages/ai/AiPage.js';
import { AlertsPage } from './pages/alerts/AlertsPage.js';
import { LogsPage } from './pages/logs/LogsPage.js';
import { SearchPage } from './pages/search/SearchPage.js';
import { ServicesPage } from './pages/services/ServicesPage.js';
import { TracePage } from './pages/trace/TracePage.js';

export function App() {
  const { path } = useLocation();
  const [needToken, setNeedToken] = useState(false);

  useEffect(() => onUnauthorized(() => setNeedToken(true)), []);

  useEffect(() => {
    // `/` focuses the page's search box from anywhere, as on most search-first tools.
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
      const t = e.target as HTMLElement;
      if (t.closest('input, textarea, select, [contenteditable="true"]')) return;
      e.preventDefault();
      const box = document.querySelector<HTMLInputElement>('[data-hotkey="search"]');
      if (box) {
        box.focus();
        box.select();
      } else navigate('/');
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  let page: ReactNode;
  let section: string;
  if (path.startsWith('/trace/')) {
    page = <TracePage id={decodeURIComponent(path.slice('/trace/'.length))} />;
    section = 'search';
  } else if (path === '/logs') {
    page = <LogsPage />;
    section = 'logs';
  } else if (path === '/ai') {
    page = <AiPage />;
    section = 'ai';
  } else if (path === '/alerts') {
    page = <AlertsPage />;
    section = 'alerts';
  } else if (path === '/services') {
    page = <ServicesPage />;
    section = 'services';
  } else {
    page = <SearchPage />;
    section = 'search';
  }

  return (
    <div className="app">
      <header className="topbar">
        <Link to="/" className="brand">
          <svg viewBox="0 0 16 16" width="18" height="18" aria-hidden="true">
            <circle cx="4" cy="12" r="3" fill="#4f6bed" />
            <circle cx="12" cy="4" r="3" fill="#f0803c" />
            <path d="M5.5 10 L10.5 6" stroke="#9aa3b5" strokeWidth="1.4" />
          </svg>
          Hopscope
        </Link>
        <nav className="nav">
          <Link to="/" className={section === 'search' ? 'active' : ''}>
            Search
          </Link>
          <Link to="/logs" className={section === 'logs' ? 'active' : ''}>
            Logs
          </Link>
          <Link to="/services" className={section === 'services' ? 'active' : ''}>
            Services
          </Link>
          <Link to="/ai" className={section === 'ai' ? 'active' : ''}>
            AI
          </Link>
          <Link to="/alerts" className={section === 'alerts' ? 'active' : ''}>
            Alerts
          </Link>
        </nav>
        <span className="topbar-hint muted">
          press <kbd>/</kbd> to search
        </span>
      </header>
      <main className="main">{page}</main>
      {needToken && (
        <TokenPrompt
          onDone={() => {
            setNeedToken(false);
            bumpAuthEpoch();
          }}
        />
      )}
    </div>
  );
}
