// Copyright the Winnow authors. SPDX-License-Identifier: Apache-2.0
//
// The page: a top bar, the error banner and the route (routes.js).
import { useEffect, useState } from 'preact/hooks';
import { clearError, useBanner } from './api.js';
import { StudyList } from './studies.jsx';
import { StudyPage } from './study.jsx';
import { parseRoute, studyHref } from './routes.js';

function Banner() {
  const banner = useBanner();
  if (!banner) return null;
  return (
    <div class="banner" role="alert" data-testid="error-banner">
      <span>{banner.message}</span>
      <button type="button" class="banner-close" aria-label="Dismiss" onClick={() => clearError()}>×</button>
    </div>
  );
}

export function App() {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  return (
    <>
      <header class="topbar">
        <a href="#/" class="brand">Winnow</a>
        {route.page === 'study' && (
          <>
            <span class="crumb-sep">/</span>
            <a href={studyHref(route.name)} class="crumb">{route.name}</a>
          </>
        )}
      </header>
      <Banner />
      <main>
        {route.page === 'list' ? <StudyList /> : <StudyPage key={route.name} name={route.name} view={route.view} trial={route.trial} />}
      </main>
    </>
  );
}
