import { serviceColor } from '../lib/colors.js';

export function ServiceTag({ service }: { service: string }) {
  return (
    <span className="service-tag">
      <span className="dot" style={{ background: serviceColor(service) }} />
      {service}
    </span>
  );
}
